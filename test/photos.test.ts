// Ordinary photos: a 12-megapixel phone photo works as content, style and --init at any --size
// (it is shrunk on the device in bands, never uploaded whole), and --max-megapixels bounds what is
// decoded at all.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage, syntheticWeights, writeImage } from '../src/index.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { cli } from './helpers/cli.js';
import { picture } from './helpers/pictures.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-photos-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const path = (name: string) => join(work, name);
const run = (args: string[]) => cli(args, { cwd: work, env: { WGPU_STYLE_CACHE: path('cache') } });

beforeAll(async () => {
  await writeWeightsFile(path('syn.bin'), syntheticWeights(5));
  // A phone camera's 4032×3024 (12 MP): one f32 RGB plane of it (139.5 MiB) exceeds lavapipe's
  // 128 MiB binding, which is what used to fail even at --size 32.
  writeImage(path('phone.jpg'), picture(4032, 3024, 'content'), 90);
  writeImage(path('portrait.png'), picture(3024, 4032, 'style'));
});

describe('photos of any size', () => {
  it('a 12 MP photo works as content, style and --init at --size 32', async () => {
    const r = await run([
      'phone.jpg',
      'portrait.png',
      '--init',
      'phone.jpg',
      '--weights',
      'syn.bin',
      '--size',
      '32',
      '--scales',
      '1',
      '--steps',
      '2',
      '--no-autotune',
      '-o',
      'small.png',
    ]);
    expect(r.stderr).not.toMatch(/^wgpu-style:/m);
    expect(r.code).toBe(0);
    const out = readImage(path('small.png'));
    expect([out.width, out.height]).toEqual([32, 24]);
  });

  it('--max-megapixels refuses larger images before decoding them, naming the option', async () => {
    const r = await run(['phone.jpg', 'portrait.png', '--weights', 'syn.bin', '--max-megapixels', '10', '-o', 'x.png']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /phone\.jpg: the image is 4032×3024 pixels \(12\.2 megapixels\), over the limit of 10 megapixels.*--max-megapixels/,
    );
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('wgpu-style:')),
    ).toHaveLength(1);
    const bad = await run(['phone.jpg', 'portrait.png', '--max-megapixels', '0', '-o', 'x.png']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-megapixels must be a number > 0, got 0/);
  });
});
