import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readWeightsFile } from '../src/node/weights-files.js';
import { startServer } from './helpers/http-server.js';
import { ramp, writeKerasH5 } from './helpers/keras-h5.js';
import { spawnSync } from 'node:child_process';
import { cli } from './helpers/cli.js';
import { REPO_ROOT, sharedAvailable, TFJS_MODEL } from './helpers/shared.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (args: string[]) => cli(args, { cwd: work, env: { WGPU_STYLE_CACHE: join(work, 'cache') } });

describe('wgpu-style command line', async () => {
  it('--help teaches the options and commands; no arguments or a missing image exit non-zero', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: wgpu-style <content> <style>.*--style-weight.*wgpu-style demo.*wgpu-style weights/s);
    expect((await run([])).code).toBe(2);
    const unknown = await run(['paint.jpg', 'style.jpg']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/paint\.jpg: no such file/);
    expect((await run(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('the package exports the library API with its types (import { stylize } from "wgpu-style")', async () => {
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { stylize, DEFAULT_SETTINGS } from 'wgpu-style'; console.log(typeof stylize, DEFAULT_SETTINGS.steps)",
      ],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('function 300');
    expect(readFileSync(join(REPO_ROOT, 'dist', 'index.d.ts'), 'utf8')).toMatch(/export \{[^}]*\bstylize, type StylizeOptions \}/);
  });

  it('demo runs a convolution on the adapter and prints it', async () => {
    const demo = await run(['demo', '--size', '16', '--channels', '8']);
    expect(demo.stderr).not.toMatch(/wgpu-style:/);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/adapter: .*\nconv3x3 8→8 at 16×16.*GFLOP\/s/);
    const bad = await run(['demo', '--size', 'big']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--size must be a whole number >= 1, got "big"/);
  });

  it('weights synthetic writes a file that weights info describes', async () => {
    expect((await run(['weights', 'synthetic', '-o', 'syn.bin', '--seed', '4', '--up-to', 'conv2_2'])).code).toBe(0);
    const info = await run(['weights', 'info', 'syn.bin']);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/convs: conv1_1, conv1_2, conv2_1, conv2_2\n/);
    expect(info.stdout).toMatch(/source=synthetic.*seed=4/);
  });

  it.runIf(sharedAvailable('CLI conversion of the real TF.js weights', TFJS_MODEL))(
    'weights convert: real TF.js weights up to block3_conv4, and a clear refusal of the full model',
    async () => {
      const ok = await run(['weights', 'convert', TFJS_MODEL, '-o', 'real.bin', '--up-to', 'block3_conv4']);
      expect(ok.code).toBe(0);
      expect((await readWeightsFile(join(work, 'real.bin'))).tensors.size).toBe(16);
      const full = await run(['weights', 'convert', TFJS_MODEL, '-o', 'full.bin']);
      expect(full.code).toBe(2);
      expect(full.stderr).toMatch(/15 shard file\(s\) are missing: group9-shard1of2/);
      expect(existsSync(join(work, 'full.bin'))).toBe(false);
    },
  );

  it('weights fetch downloads the Keras file from a local server, checks it and converts it once', async () => {
    const h5 = join(work, 'served.h5');
    await writeKerasH5(h5, 36, 'new'); // all 16 convs: 80 MB, like the real file
    const bytes = readFileSync(h5);
    const md5 = createHash('md5').update(bytes).digest('hex');
    const server = await startServer(new Map([['/vgg19.h5', bytes]]));
    try {
      const bad = await run([
        'weights',
        'fetch',
        '--url',
        server.url('/vgg19.h5'),
        '--md5',
        'f'.repeat(32),
        '--cache-dir',
        join(work, 'c1'),
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/expected f{32}; it was deleted/);
      expect(existsSync(join(work, 'c1', 'vgg19-keras.bin'))).toBe(false);

      const fetched = await run(['weights', 'fetch', '--url', server.url('/vgg19.h5'), '--md5', md5]);
      expect(fetched.stderr, fetched.stderr).not.toMatch(/^wgpu-style:/m);
      expect(fetched.code).toBe(0);
      const bin = join(work, 'cache', 'vgg19-keras.bin');
      expect(fetched.stdout).toContain(`weights ready: ${bin}`);
      const weights = await readWeightsFile(bin);
      expect(weights.tensors.size).toBe(32);
      expect(weights.tensors.get('conv5_4.bias')!.data).toEqual(ramp(512, 115));
      const requests = server.requests.length;
      expect((await run(['weights', 'fetch', '--url', server.url('/vgg19.h5'), '--md5', md5])).code).toBe(0);
      expect(server.requests.length).toBe(requests); // cached: no second download
    } finally {
      await server.close();
    }
  });
});
