// --style-mask (src/style/masks.ts): the refusals (count, aspect ratio, all black), the regions at
// each style layer against a float64 oracle (luma × alpha, resized, one 2×2 average per VGG pool)
// with their means, and the whole run from the command line and the library.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resumedCommand } from '../src/cli/resume.js';
import type { Checkpoint } from '../src/io/checkpoint-file.js';
import { writeImage } from '../src/node/image-files.js';
import { stylize, type StylizeOptions } from '../src/node/stylize.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import type { RgbaImage } from '../src/style/image-tensor.js';
import { Tape, Tensor } from '../src/graph/index.js';
import { checkStyleMasks, releaseRegions, StyleMaskSet } from '../src/style/masks.js';
import { styleStatistic } from '../src/style/style-statistics.js';
import { UserError } from '../src/util/errors.js';
import { cli } from './helpers/cli.js';
import { expectClose } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { avgPool, resize } from './helpers/oracle.js';
import { maskLuma } from './helpers/oracle-masks.js';
import { picture } from './helpers/pictures.js';
import { randomArray } from './helpers/random.js';

/** A mask white (with `alpha`) where `inside(x, y)`, black elsewhere; grey ramps where `soft`. */
function mask(width: number, height: number, inside: (x: number, y: number) => boolean, soft = false, alpha = 255): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const v = soft ? Math.round((255 * x) / (width - 1)) : inside(x, y) ? 255 : 0;
      data.set([v, soft ? 255 - v : v, v, alpha], (y * width + x) * 4);
    }
  return { width, height, data };
}

const refusal = (fn: () => void): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('not refused');
};

describe('style masks are refused when they cannot go with the run', () => {
  const content = { width: 400, height: 300, name: 'photo.jpg' };
  const left = mask(40, 30, (x) => x < 20);
  it('a count other than the styles', () => {
    expect(refusal(() => checkStyleMasks([left], 2, content))).toMatch(
      /^1 style mask for 2 style images: give one --style-mask per style image/,
    );
  });
  it('an aspect ratio more than 1 % from the content, naming both sizes', () => {
    const message = refusal(() => checkStyleMasks([mask(40, 32, () => true)], 1, content, ['m.png']));
    expect(message).toContain('m.png is 40×32, the content (photo.jpg) 400×300');
    expect(message).toContain('6.3 %');
    expect(() => checkStyleMasks([mask(401, 300, () => true)], 1, content)).not.toThrow(); // 0.25 % off
  });
  it('black or transparent everywhere', () => {
    expect(refusal(() => checkStyleMasks([mask(40, 30, () => false)], 1, content))).toMatch(/black \(or transparent\) everywhere/);
    expect(refusal(() => checkStyleMasks([mask(40, 30, () => true, false, 0)], 1, content))).toMatch(/everywhere/);
  });
});

describe('the regions at each style layer', () => {
  const gpu = useGpu();
  it("are the mask resized and averaged 2×2 per pool, at the layers' sizes, with their means", async () => {
    const ctx = gpu();
    const masks = [mask(26, 20, () => true, true, 200), mask(26, 20, (x, y) => x + y < 20)];
    const size = { width: 21, height: 15 };
    const set = new StyleMaskSet(ctx, masks, { width: 26, height: 20 });
    const layers = [0, 5, 10, 4];
    const regions = await set.regions(size, layers, [0.5, 1.5]);
    expect(regions.map((r) => r.weight)).toEqual([0.5, 1.5]);
    for (const [i, region] of regions.entries()) {
      let level = resize(maskLuma(masks[i]!.data), [1, 1, 20, 26], 15, 21);
      let [h, w] = [15, 21];
      const expected = new Map<number, Float64Array>([[0, level]]);
      for (const pools of [1, 2]) {
        level = avgPool(level, [1, 1, h, w]);
        [h, w] = [Math.floor(h / 2), Math.floor(w / 2)];
        expected.set(pools === 1 ? 5 : 10, level);
      }
      expected.set(4, expected.get(5)!); // pool1's output is conv2_1's size
      for (const layer of layers) {
        const { weights, mean } = region.layers.get(layer)!;
        const want = expected.get(layer)!;
        expectClose(await weights.read(), want, 1e-5, `mask ${i + 1} at layer ${layer}`);
        expectClose([mean], [want.reduce((a, b) => a + b, 0) / want.length], 1e-5, `mask ${i + 1}'s mean at ${layer}`);
      }
      expect(region.layers.get(10)!.weights.shape).toEqual([1, 1, 3, 5]);
    }
    releaseRegions(regions);
    set.dispose();
  });

  it('a region that vanishes at a layer is refused, naming it and the fix', async () => {
    const set = new StyleMaskSet(gpu(), [mask(32, 32, (x, y) => x === 31 && y === 31)], { width: 32, height: 32 }, ['dot.png']);
    // The one lit pixel is in the last row and column: an odd size drops it at the first pool.
    await expect(set.regions({ width: 31, height: 31 }, [0, 5], [1])).rejects.toThrow(
      /dot.png leaves nothing of its region at conv2_1.*larger/,
    );
    set.dispose();
  });
});

describe('a two-style run with masks', () => {
  const gpu = useGpu();
  const work = mkdtempSync(join(tmpdir(), 'wgpu-style-masks-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const path = (name: string) => join(work, name);
  const SHALLOW = ['--style-layers', 'conv1_1,conv2_1', '--content-layers', 'conv2_2', '--size', '24', '--scales', '1', '--steps', '4'];
  beforeAll(async () => {
    await writeWeightsFile(path('syn.bin'), syntheticWeights(5, 9));
    writeImage(path('content.png'), picture(40, 30, 'content'));
    writeImage(path('a.png'), picture(32, 32, 'style'));
    writeImage(path('b.png'), picture(24, 36, 'content'));
    writeImage(
      path('left.png'),
      mask(40, 30, (x) => x < 20),
    );
    writeImage(
      path('right.png'),
      mask(40, 30, (x) => x >= 20),
    );
    writeImage(
      path('tall.png'),
      mask(30, 40, (x) => x < 20),
    );
  });
  const run = (...args: string[]) =>
    cli(['content.png', 'a.png', 'b.png', '--weights', 'syn.bin', ...SHALLOW, ...args], {
      cwd: work,
      env: { WGPU_STYLE_CACHE: path('cache') },
    });

  it('runs from the command line, one --style-mask per style', async () => {
    const r = await run('--style-mask', 'left.png', '--style-mask', 'right.png', '-o', 'out.png');
    expect(r.stderr).not.toMatch(/^wgpu-style:/m);
    expect(r.code).toBe(0);
  });

  it('refuses a missing mask and a mask of another shape in one line, before any work', async () => {
    const one = await run('--style-mask', 'left.png', '-o', 'one.png');
    expect(one.code).toBe(2);
    expect(one.stderr.trim()).toMatch(
      /^wgpu-style: 1 style mask for 2 style images: give one --style-mask per style image, in the same order$/,
    );
    const tall = await run('--style-mask', 'left.png', '--style-mask', 'tall.png', '-o', 'tall-out.png');
    expect(tall.code).toBe(2);
    expect(tall.stderr).toContain('tall.png is 30×40, the content (content.png) 40×30');
  });

  it('one all-white mask gives the run without masks (within f32 rounding)', async () => {
    const base: StylizeOptions = {
      content: picture(40, 30, 'content'),
      styles: [picture(32, 32, 'style')],
      weights: syntheticWeights(5, 9),
      context: gpu(),
      ...{ styleLayers: ['conv1_1', 'conv2_1'], contentLayers: ['conv2_2'], size: 24, scales: 1, steps: 4, autotune: false },
    };
    const plain = await stylize(base);
    const white = await stylize({ ...base, styleMasks: [mask(40, 30, () => true)] });
    const diff = plain.image.data.reduce((m, v, i) => Math.max(m, Math.abs(v - white.image.data[i]!)), 0);
    expect(diff).toBeLessThanOrEqual(1);
  });
});

describe('each style statistic over a region is its statistic of the region’s pixels', () => {
  const gpu = useGpu();
  const [C, H, W, LEFT] = [4, 4, 6, 3];
  const image = randomArray(C * H * W, 71);
  /** The image's features on the columns left of LEFT only, [1, C, H, LEFT]. */
  const left = Float64Array.from({ length: C * H * LEFT }, (_, i) => {
    const [c, y, x] = [Math.floor(i / (H * LEFT)), Math.floor(i / LEFT) % H, i % LEFT];
    return image[(c * H + y) * W + x]!;
  });
  const cases = {
    'a mask of the left columns = the statistic of those columns': {
      mask: Array.from({ length: H * W }, (_, p) => (p % W < LEFT ? 1 : 0)),
      plain: { data: left, shape: [1, C, H, LEFT] },
    },
    'an even grey mask = the whole image (the weights are normalised by their mean)': {
      mask: new Array(H * W).fill(0.5),
      plain: { data: image, shape: [1, C, H, W] },
    },
  };
  for (const kind of ['gram', 'w2', 'mean-std'] as const) {
    for (const [what, { mask: weights, plain }] of Object.entries(cases)) {
      it(`${kind}: ${what}`, async () => {
        const ctx = gpu();
        const statistic = styleStatistic(kind);
        const tape = new Tape(ctx);
        const style = Tensor.leaf(ctx.upload([1, C, 5, 5], randomArray(C * 25, 72)));
        const stats = statistic.of(tape, style).map((t) => tape.keep(Tensor.leaf(t)).value);
        const target = statistic.prepare?.(ctx, stats) ?? stats;
        const [x, crop, w] = [ctx.upload([1, C, H, W], image), ctx.upload(plain.shape, plain.data), ctx.upload([1, 1, H, W], weights)];
        const mean = weights.reduce((a, b) => a + b, 0) / weights.length;
        const masked = await statistic.loss(tape, Tensor.leaf(x), target, { weights: w, mean }).value.read();
        const whole = await statistic.loss(tape, Tensor.leaf(crop), target).value.read();
        expectClose(masked, whole, 1e-4, `${kind} masked vs its region`);
        tape.dispose();
        for (const t of [x, crop, w, ...target]) t.release();
      });
    }
  }
});

describe('--resume alone', () => {
  it("takes the recorded --style-mask files with the images (the run's identity covers them)", () => {
    const command = ['/w/c.png', '/w/a.png', '/w/b.png', '--style-mask', '/w/left.png', '--style-mask', '/w/right.png', '--steps', '4'];
    const { values, positionals } = resumedCommand('out.png.ckpt', { command } as unknown as Checkpoint, {});
    expect(positionals).toEqual(['/w/c.png', '/w/a.png', '/w/b.png']);
    expect(values['style-mask']).toEqual(['/w/left.png', '/w/right.png']);
  });
});
