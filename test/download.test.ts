import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { download, DownloadError } from '../src/node/download.js';
import { cli, type CliResult } from './helpers/cli.js';
import { startServer, type TestServer } from './helpers/http-server.js';
import { rng } from './helpers/random.js';

const payload = Uint8Array.from(
  { length: 300_000 },
  (
    (next) => () =>
      Math.floor(next() * 256)
  )(rng(9)),
);
const md5 = createHash('md5').update(payload).digest('hex');
let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startServer(new Map([['/weights.h5', payload]]));
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wgpu-style-dl-'));
  server.requests.length = 0;
  server.faults.dropAfter = undefined;
  server.faults.ignoreRange = false;
  return () => rmSync(dir, { recursive: true, force: true });
});

describe('download (local server on 127.0.0.1)', () => {
  it('downloads, verifies the md5 and renames into place, reporting progress', async () => {
    const dest = join(dir, 'w.h5');
    const progress: number[] = [];
    await download({ url: server.url('/weights.h5'), dest, md5, onProgress: (received) => progress.push(received) });
    expect(readFileSync(dest)).toEqual(Buffer.from(payload));
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(progress.at(-1)).toBe(payload.byteLength);
  });

  it('resumes with an HTTP Range request after the connection drops mid-file', async () => {
    server.faults.dropAfter = { bytes: 100_000, times: 1 };
    const dest = join(dir, 'w.h5');
    await download({ url: server.url('/weights.h5'), dest, md5 });
    expect(readFileSync(dest)).toEqual(Buffer.from(payload));
    expect(server.requests.map((r) => [r.status, r.range])).toEqual([
      [200, undefined],
      [206, 'bytes=100000-'],
    ]);
  });

  it('leaves only the .part file when every attempt drops, and a later run resumes it', async () => {
    server.faults.dropAfter = { bytes: 50_000, times: 3 };
    const dest = join(dir, 'w.h5');
    await expect(download({ url: server.url('/weights.h5'), dest, md5, retries: 2 })).rejects.toThrow(
      /failed after 3 attempts.*run the command again to resume/,
    );
    expect(existsSync(dest)).toBe(false);
    expect(readFileSync(`${dest}.part`).byteLength).toBe(150_000);
    await download({ url: server.url('/weights.h5'), dest, md5 });
    expect(readFileSync(dest)).toEqual(Buffer.from(payload));
    expect(server.requests.at(-1)!.range).toBe('bytes=150000-');
  });

  it('starts over when the server ignores Range', async () => {
    server.faults.dropAfter = { bytes: 70_000, times: 1 };
    server.faults.ignoreRange = true;
    const dest = join(dir, 'w.h5');
    await download({ url: server.url('/weights.h5'), dest, md5 });
    expect(readFileSync(dest)).toEqual(Buffer.from(payload));
  });

  it('deletes a download whose checksum does not match and never creates the destination', async () => {
    const dest = join(dir, 'w.h5');
    const wrong = '0'.repeat(32);
    await expect(download({ url: server.url('/weights.h5'), dest, md5: wrong })).rejects.toThrow(
      new RegExp(`has md5 ${md5}, expected ${wrong}; it was deleted`),
    );
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('reports a 404 with the URL, without retrying', async () => {
    const dest = join(dir, 'w.h5');
    await expect(download({ url: server.url('/missing.h5'), dest, md5 })).rejects.toThrow(/missing\.h5 failed: HTTP 404/);
    expect(server.requests).toHaveLength(1);
    expect(existsSync(dest)).toBe(false);
  });

  it('refuses a malformed md5 or a URL that is not http(s), before any request', async () => {
    const dest = join(dir, 'w.h5');
    await expect(download({ url: server.url('/weights.h5'), dest, md5: 'xyz' })).rejects.toThrow(
      /the md5 must be 32 hex digits, got "xyz"/,
    );
    await expect(download({ url: 'ftp://example.com/w.h5', dest, md5 })).rejects.toThrow(
      /the download URL must be an http:\/\/ or https:\/\/ URL, got "ftp:\/\/example\.com\/w\.h5"/,
    );
    expect(server.requests).toHaveLength(0);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('stops at once, without a request or a retry, when the destination cannot be written', async () => {
    writeFileSync(join(dir, 'a-file'), '');
    const started = Date.now();
    // A folder under a regular file (ENOTDIR: refused even to root), and a folder where the .part file would go.
    await expect(download({ url: server.url('/weights.h5'), dest: join(dir, 'a-file', 'sub', 'w.h5'), md5 })).rejects.toThrow(
      /cannot write .*w\.h5\.part \((ENOTDIR|EEXIST)\)/,
    );
    mkdirSync(join(dir, 'w.h5.part'));
    const err = await download({ url: server.url('/weights.h5'), dest: join(dir, 'w.h5'), md5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message).toMatch(/cannot write .*w\.h5\.part \(EISDIR\)/);
    expect(server.requests).toHaveLength(0);
    expect(Date.now() - started).toBeLessThan(1000); // no back-off between retries
  });
});

describe('weights fetch: arguments and the cache folder are checked before the network', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    cli(['weights', 'fetch', ...args], { cwd: dir, env: { WGPU_STYLE_CACHE: join(dir, 'cache'), ...env } });
  const refused = (r: CliResult, message: RegExp) => {
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^ {4}at /m);
  };

  it('refuses a malformed --md5 and a --url that is not an http(s) URL', async () => {
    const [md5Bad, ftp, word] = await Promise.all([
      run(['--url', server.url('/weights.h5'), '--md5', 'xyz']),
      run(['--url', 'ftp://example.com/vgg19.h5']),
      run(['--url', 'vgg19.h5']),
    ]);
    refused(md5Bad, /^wgpu-style: --md5 must be 32 hex digits, got "xyz"$/m);
    refused(ftp, /--url must be an http:\/\/ or https:\/\/ URL, got "ftp:\/\/example\.com\/vgg19\.h5"/);
    refused(word, /--url must be an http:\/\/ or https:\/\/ URL, got "vgg19\.h5"/);
    expect(server.requests).toHaveLength(0);
  });

  it('says the cache folder is not writable and how to choose another, without downloading or retrying', async () => {
    writeFileSync(join(dir, 'a-file'), '');
    const url = server.url('/weights.h5');
    const [flag, env] = await Promise.all([
      run(['--url', url, '--md5', md5, '--cache-dir', join(dir, 'a-file', 'cache')]),
      run(['--url', url, '--md5', md5], { WGPU_STYLE_CACHE: join(dir, 'a-file', 'cache') }),
    ]);
    for (const r of [flag, env])
      refused(
        r,
        /the weights cache .*a-file\/cache is not a writable folder \((ENOTDIR|EEXIST)\); choose another with --cache-dir DIR or \$WGPU_STYLE_CACHE/,
      );
    expect(server.requests).toHaveLength(0);
  });

  it.runIf(process.getuid?.() !== 0)(
    'says a read-only cache folder (mode 0555) is not writable (permission bits do not stop root)',
    async () => {
      const cache = join(dir, 'read-only');
      mkdirSync(cache);
      chmodSync(cache, 0o555);
      refused(
        await run(['--url', server.url('/weights.h5'), '--md5', md5, '--cache-dir', cache]),
        /read-only is not a writable folder \(EACCES\)/,
      );
      expect(server.requests).toHaveLength(0);
    },
  );
});
