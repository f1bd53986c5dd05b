// `weights fetch --from torchvision|mxnet` end to end against a local server (the official URLs
// are replaced with --url, their checksums with --sha256/--sha1), and --weights FILE converted
// into the cache once, keyed by the file's sha256.

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureWeights } from '../src/node/weights-cache.js';
import { LOCK_STALE_MS } from '../src/node/file-lock.js';
import { cacheDir, readWeightsFile } from '../src/node/weights-files.js';
import { FETCH_SOURCES } from '../src/io/weights/sources.js';
import { TORCHVISION_INPUT, VGG19_CONVS } from '../src/vgg/index.js';
import { cli, type CliResult } from './helpers/cli.js';
import { startServer, type TestServer } from './helpers/http-server.js';
import { gluonConvs, paramsFile } from './helpers/mxnet-params.js';
import { FIXTURES, fixture } from './helpers/weights-fixtures.js';
import { zipFile } from './helpers/zip-writer.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-fetch-'));
const pth = fixture('vgg19-expanded.pth'); // a whole VGG-19 (with its classifier) in 70 kB
const pthSha256 = createHash('sha256').update(pth).digest('hex');
const params = paramsFile(gluonConvs(VGG19_CONVS)); // a whole VGG-19: 80 MB of 0.5
const paramsSha1 = createHash('sha1').update(params).digest('hex');
const zip = zipFile([{ name: 'vgg19-ad2f660d.params', data: params, deflate: true }]);
/** A zip bomb: 256 MiB of zeros deflated (~250 kB), its directory stating 1 MiB or 4 GiB. */
const bombData = new Uint8Array(256 << 20);
const bomb = (statedSize: number) =>
  withStatedSize(zipFile([{ name: 'vgg19-ad2f660d.params', data: bombData, deflate: true }]), statedSize);
const bombs = { small: bomb(1 << 20), huge: bomb(0xfffffff0) };

/** The archive with its (single) entry's uncompressed size set to `size` in the local header and the directory. */
function withStatedSize(archive: Uint8Array, size: number): Uint8Array {
  const out = Uint8Array.from(archive);
  const view = new DataView(out.buffer);
  view.setUint32(22, size, true); // the local header's
  view.setUint32(view.getUint32(out.byteLength - 22 + 16, true) + 24, size, true); // the directory's
  return out;
}
let server: TestServer;
let cache: string;

beforeAll(async () => {
  server = await startServer(
    new Map([
      ['/vgg19-dcbb9e9d.pth', pth],
      ['/vgg19-ad2f660d.zip', zip],
      ['/bomb-small.zip', bombs.small],
      ['/bomb-huge.zip', bombs.huge],
    ]),
  );
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  cache = mkdtempSync(join(work, 'cache-'));
  server.requests.length = 0;
  server.faults.dropAfter = undefined;
  server.faults.holdMs = undefined;
});

const fetch = (args: string[]) => cli(['weights', 'fetch', '--cache-dir', cache, ...args], { cwd: work });
const refused = (r: CliResult, message: RegExp) => {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(message);
  expect(r.stderr).not.toMatch(/^ {4}at /m);
};

describe('weights fetch --from (local server)', () => {
  it('torchvision: resumes a dropped download, checks the sha256, keeps only the converted features', async () => {
    server.faults.dropAfter = { bytes: 30_000, times: 1 };
    const url = server.url('/vgg19-dcbb9e9d.pth');
    const r = await fetch(['--from', 'torchvision', '--url', url, '--sha256', pthSha256]);
    expect(r.code, r.stderr).toBe(0);
    const bin = join(cache, FETCH_SOURCES.torchvision.bin);
    expect(r.stdout).toContain(`weights ready: ${bin}`);
    expect(server.requests.map((q) => [q.status, q.range])).toEqual([
      [200, undefined],
      [206, 'bytes=30000-'],
    ]);
    expect(readdirSync(cache)).toEqual([FETCH_SOURCES.torchvision.bin]); // the 548 MB .pth is not kept
    const weights = await readWeightsFile(bin);
    expect(weights.tensors.size).toBe(32);
    expect(weights.input).toEqual(TORCHVISION_INPUT);
    const info = await cli(['weights', 'info', bin], { cwd: work });
    expect(info.stdout).toMatch(
      /input: RGB, ×1, mean \[0\.485, 0\.456, 0\.406\], std \[0\.229, 0\.224, 0\.225\] \(torchvision's convention\)/,
    );
    expect(info.stdout).toMatch(/format=pytorch-zip/);
    expect((await fetch(['--from', 'torchvision', '--url', url, '--sha256', pthSha256])).code).toBe(0);
    expect(server.requests).toHaveLength(2); // converted once: no second download
  });

  it("torchvision: a file whose sha256 is not the official one's (dcbb9e9d...) or the one given is deleted", async () => {
    const url = server.url('/vgg19-dcbb9e9d.pth');
    // One after the other: two fetches of one file into one cache share its .part file (run at once,
    // one deleted it under the other: ENOENT in CI).
    const official = await fetch(['--from', 'torchvision', '--url', url]);
    const given = await fetch(['--from', 'torchvision', '--url', url, '--sha256', 'ab'.repeat(32)]);
    refused(official, new RegExp(`has sha256 ${pthSha256}, expected one starting dcbb9e9d; it was deleted`));
    refused(given, new RegExp(`has sha256 ${pthSha256}, expected (ab){32}; it was deleted`));
    expect(readdirSync(cache)).toEqual([]);
  });

  it('mxnet: downloads the zip (resuming), takes the .params out, checks its sha1, keeps only the converted features', async () => {
    server.faults.dropAfter = { bytes: 20_000, times: 1 };
    const url = server.url('/vgg19-ad2f660d.zip');
    const r = await fetch(['--from', 'mxnet', '--url', url, '--sha1', paramsSha1]);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.map((q) => q.status)).toEqual([200, 206]);
    expect(readdirSync(cache)).toEqual([FETCH_SOURCES.mxnet.bin]);
    const weights = await readWeightsFile(join(cache, FETCH_SOURCES.mxnet.bin));
    expect(weights.tensors.size).toBe(32);
    expect(weights.tensors.get('conv5_4.weight')!.data.every((v) => v === 0.5)).toBe(true);
    expect(weights.provenance.format).toBe('mxnet-params');
  });

  it('mxnet: a .params whose sha1 is not the expected one is deleted with its zip; the next run downloads again', async () => {
    const url = server.url('/vgg19-ad2f660d.zip');
    refused(
      await fetch(['--from', 'mxnet', '--url', url]),
      new RegExp(`vgg19-ad2f660d\\.params from .* has sha1 ${paramsSha1}, expected ad2f660d`),
    );
    expect(readdirSync(cache)).toEqual([]);
    refused(await fetch(['--from', 'mxnet', '--url', url, '--sha1', '0'.repeat(40)]), /expected 0{40}; it was deleted/);
    expect(server.requests).toHaveLength(2);
  });

  it('mxnet: a zip bomb stops at the size its directory states, or is refused unread when it states over 1 GiB; nothing large is written', async () => {
    for (const [path, message] of [
      [
        '/bomb-small.zip',
        /vgg19-ad2f660d\.zip: "vgg19-ad2f660d\.params" inflates past the 1048576 bytes the archive's directory states .*nothing was kept/,
      ],
      ['/bomb-huge.zip', /"vgg19-ad2f660d\.params" states 4096\.0 MiB inflated, more than the 1024\.0 MiB any VGG-19 weights file needs/],
    ] as const) {
      let largest = 0;
      const watch = setInterval(() => {
        for (const f of readdirSync(cache)) largest = Math.max(largest, statSync(join(cache, f), { throwIfNoEntry: false })?.size ?? 0);
      }, 5);
      const started = performance.now();
      const r = await fetch(['--from', 'mxnet', '--url', server.url(path), '--sha1', paramsSha1]);
      clearInterval(watch);
      refused(r, message);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(largest).toBeLessThan(2 << 20); // the download (~250 kB) and at most 1 MiB inflated
      expect(readdirSync(cache)).toEqual([]); // the bad archive is fetched again next time
    }
  });

  it('two fetches of the same weights at once: the second waits for the first and downloads nothing', async () => {
    server.faults.holdMs = 10_000; // the first holds the cache's lock for 10 s, while the second starts
    const args = ['--from', 'torchvision', '--url', server.url('/vgg19-dcbb9e9d.pth'), '--sha256', pthSha256];
    const results = await Promise.all([fetch(args), fetch(args)]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(results.map((r) => r.stderr).join('\n')).toMatch(/waiting for another wgpu-style \(pid \d+\) fetching the same weights/);
    expect(server.requests).toHaveLength(1);
    expect(readdirSync(cache)).toEqual([FETCH_SOURCES.torchvision.bin]); // no lock or .part left
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(cache, `${FETCH_SOURCES.torchvision.bin}.lock`), `${gone.stdout}\n`);
    const r = await fetch(['--from', 'torchvision', '--url', server.url('/vgg19-dcbb9e9d.pth'), '--sha256', pthSha256]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/waiting/);
    expect(readdirSync(cache)).toEqual([FETCH_SOURCES.torchvision.bin]);
  });

  it('takes over at once a lock of a live process (pid 1) untouched for over the stated limit; refuses a lock that is a folder, naming it', async () => {
    const lock = join(cache, `${FETCH_SOURCES.torchvision.bin}.lock`);
    writeFileSync(lock, '1\n'); // before: waited forever for "pid 1"
    const past = (Date.now() - LOCK_STALE_MS - 5000) / 1000;
    utimesSync(lock, past, past);
    const args = ['--from', 'torchvision', '--url', server.url('/vgg19-dcbb9e9d.pth'), '--sha256', pthSha256];
    const r = await fetch(args);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(cache)).toEqual([FETCH_SOURCES.torchvision.bin]);
    rmSync(join(cache, FETCH_SOURCES.torchvision.bin));
    mkdirSync(lock); // before: waited forever without a word
    refused(await fetch(args), new RegExp(`^wgpu-style: the lock file ${lock} is a folder, not a lock wgpu-style made; remove it`));
  }, 60_000);

  it('a damaged converted file in the cache is removed and made again (before: every later run failed until it was deleted)', async () => {
    const args = ['--from', 'torchvision', '--url', server.url('/vgg19-dcbb9e9d.pth'), '--sha256', pthSha256];
    expect((await fetch(args)).code).toBe(0);
    const bin = join(cache, FETCH_SOURCES.torchvision.bin);
    const good = readFileSync(bin);
    const damaged = Uint8Array.from(good);
    damaged[damaged.length - 1]! ^= 1;
    writeFileSync(bin, damaged);
    const r = await fetch(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the cached weights are damaged \(.*checksum mismatch.*\); removing .* and making it again/);
    expect(readFileSync(bin).equals(good)).toBe(true); // (not toEqual: 80 MB compared element by element takes minutes)
    expect(server.requests).toHaveLength(2); // downloaded again: only the features were kept
  });

  it('refuses an unknown --from and a malformed --sha1 before any request', async () => {
    const [from, sha1] = await Promise.all([fetch(['--from', 'caffe']), fetch(['--from', 'mxnet', '--sha1', 'xyz'])]);
    refused(from, /^wgpu-style: weights fetch: --from must be keras, torchvision, mxnet, got "caffe"/);
    refused(sha1, /--sha1 must be 40 hex digits, got "xyz"/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('--weights with a .pth, .params or .h5 file', () => {
  it('converts it into the cache once, keyed by its sha256, and reads the .bin afterwards', async () => {
    const file = join(work, 'my-vgg19.pth');
    copyFileSync(join(FIXTURES, 'vgg19-expanded-legacy.pth'), file);
    const logs: string[] = [];
    const first = await ensureWeights({ weightsPath: file, cacheDir: cache, log: (m) => logs.push(m) });
    const sha = createHash('sha256').update(fixture('vgg19-expanded-legacy.pth')).digest('hex');
    expect(first.path).toBe(join(cache, 'converted', `${sha}.bin`));
    expect(first.weights.tensors.size).toBe(32);
    expect(logs).toEqual([expect.stringMatching(/converting .*my-vgg19\.pth \(PyTorch \.pth\) to .*\.bin, once/)]);
    const second = await ensureWeights({ weightsPath: file, cacheDir: cache, log: (m) => logs.push(m) });
    expect(second.path).toBe(first.path);
    expect(logs).toHaveLength(1);
    expect(existsSync(file)).toBe(true);
  });

  it('a damaged converted/<sha>.bin (cut short, or its data changed) is converted again, not refused on every run', async () => {
    const file = join(work, 'damaged-cache.pth');
    copyFileSync(join(FIXTURES, 'vgg19-expanded-legacy.pth'), file);
    const { path } = await ensureWeights({ weightsPath: file, cacheDir: cache });
    const good = readFileSync(path);
    for (const damage of [
      (b: Uint8Array) => b.slice(0, b.length >> 1),
      (b: Uint8Array) => b.map((v, i) => (i === b.length - 9 ? v ^ 4 : v)),
    ]) {
      writeFileSync(path, damage(good));
      const logs: string[] = [];
      const again = await ensureWeights({ weightsPath: file, cacheDir: cache, log: (m) => logs.push(m) });
      expect(again.path).toBe(path);
      expect(again.weights.tensors.size).toBe(32);
      expect(logs).toEqual([
        expect.stringMatching(/the cached weights are damaged \(.*(truncated|checksum mismatch).*\); removing .*\.bin and making it again/),
        expect.stringMatching(/converting .*damaged-cache\.pth \(PyTorch \.pth\) to .*\.bin, once/),
      ]);
      expect(readFileSync(path).equals(good)).toBe(true);
    }
  });
});

describe('the cache folder', () => {
  it('ignores a relative $XDG_CACHE_HOME, as the XDG spec says; uses an absolute one', () => {
    const saved = { xdg: process.env.XDG_CACHE_HOME, ours: process.env.WGPU_STYLE_CACHE };
    try {
      delete process.env.WGPU_STYLE_CACHE;
      process.env.XDG_CACHE_HOME = 'relative/cache';
      expect(cacheDir()).toBe(join(homedir(), '.cache', 'wgpu-style'));
      process.env.XDG_CACHE_HOME = '/var/cache/me';
      expect(cacheDir()).toBe(join('/var/cache/me', 'wgpu-style'));
    } finally {
      for (const [name, value] of [
        ['XDG_CACHE_HOME', saved.xdg],
        ['WGPU_STYLE_CACHE', saved.ours],
      ] as const)
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    }
  });
});
