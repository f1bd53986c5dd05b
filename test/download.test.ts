import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { download } from '../src/node/download.js';
import { startServer, type TestServer } from './helpers/http-server.js';
import { rng } from './helpers/random.js';

const payload = Uint8Array.from({ length: 300_000 }, ((next) => () => Math.floor(next() * 256))(rng(9)));
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
    expect(server.requests.map((r) => [r.status, r.range])).toEqual([[200, undefined], [206, 'bytes=100000-']]);
  });

  it('leaves only the .part file when every attempt drops, and a later run resumes it', async () => {
    server.faults.dropAfter = { bytes: 50_000, times: 3 };
    const dest = join(dir, 'w.h5');
    await expect(download({ url: server.url('/weights.h5'), dest, md5, retries: 2 })).rejects.toThrow(/failed after 3 attempts.*run the command again to resume/);
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
    await expect(download({ url: server.url('/weights.h5'), dest, md5: wrong })).rejects.toThrow(new RegExp(`has md5 ${md5}, expected ${wrong}; it was deleted`));
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('reports a 404 with the URL, without retrying', async () => {
    const dest = join(dir, 'w.h5');
    await expect(download({ url: server.url('/missing.h5'), dest, md5 })).rejects.toThrow(/missing\.h5 failed: HTTP 404/);
    expect(server.requests).toHaveLength(1);
    expect(existsSync(dest)).toBe(false);
  });
});
