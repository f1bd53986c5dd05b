// --average d (src/style/average.ts): crowsonkb's moving average of the iterates on the device,
// against a float64 oracle (a broken variant, the sum read without its bias correction, and a broken
// axpby must fail it); in the job: the output is the average, and a run stopped mid-scale with a
// checkpoint resumes to the same bytes as one never stopped.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/gpu/index.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { readCheckpoint, stylize, type StylizeOptions } from '../src/node/stylize.js';
import { ImageAverage } from '../src/style/average.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { movingAverage } from './helpers/oracle-masks.js';
import { picture } from './helpers/pictures.js';
import { randomArray } from './helpers/random.js';

const SHAPE = [1, 3, 4, 5];
const ITERATES = Array.from({ length: 6 }, (_, k) => randomArray(60, 100 + k));
const TOLERANCE = 1e-5;

/** The device's average of ITERATES (the first starts it), read bias-corrected, or `raw` as the uncorrected sum. */
async function deviceAverage(ctx: GpuContext, decay: number, raw = false): Promise<Float32Array> {
  const tensors = ITERATES.map((x) => ctx.upload(SHAPE, x));
  const average = new ImageAverage(ctx, decay, tensors[0]!);
  for (const x of tensors.slice(1)) average.update(x);
  const value = raw ? (await average.state()).image : await average.value().read();
  average.dispose();
  for (const t of tensors) t.release();
  return value;
}

describe('the moving average of the iterates', () => {
  const gpu = useGpu();
  for (const decay of [0.5, 0.9, 0.99]) {
    it(`decay ${decay}: matches the float64 oracle, and the sum without its bias correction does not`, async () => {
      const expected = movingAverage(ITERATES, decay);
      expect(relativeError(await deviceAverage(gpu(), decay), expected)).toBeLessThan(TOLERANCE);
      expect(relativeError(await deviceAverage(gpu(), decay, true), expected)).toBeGreaterThan(100 * TOLERANCE);
    });
  }

  it('its state goes on exactly: resumed from the state after 3 iterates, the same bytes', async () => {
    const ctx = gpu();
    const tensors = ITERATES.map((x) => ctx.upload(SHAPE, x));
    const whole = new ImageAverage(ctx, 0.9, tensors[0]!);
    for (const x of tensors.slice(1)) whole.update(x);
    const part = new ImageAverage(ctx, 0.9, tensors[0]!);
    for (const x of tensors.slice(1, 3)) part.update(x);
    const resumed = new ImageAverage(ctx, 0.9, tensors[0]!, await part.state());
    for (const x of tensors.slice(3)) resumed.update(x);
    expect(Array.from(await resumed.value().read())).toEqual(Array.from(await whole.value().read()));
    for (const a of [whole, part, resumed]) a.dispose();
  });

  it('broken: an axpby that drops the decayed sum fails the oracle', async () => {
    const broken = withBrokenShader(gpu(), 'axpby', 'if (p.b != 0.0) { r += p.b * y[i]; }', '');
    expect(relativeError(await deviceAverage(broken, 0.9), movingAverage(ITERATES, 0.9))).toBeGreaterThan(100 * TOLERANCE);
  });
});

describe('--average in the style job', () => {
  const gpu = useGpu();
  const work = mkdtempSync(join(tmpdir(), 'wgpu-style-average-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const run = (): StylizeOptions => ({
    content: picture(40, 30, 'content'),
    styles: [picture(32, 32, 'style')],
    weights: syntheticWeights(5),
    context: gpu(),
    // Shallow layers: a small, quick network (the average does not depend on them).
    ...{ styleLayers: ['conv1_1', 'conv2_1'], contentLayers: ['conv2_2'] },
    ...{ size: 32, scales: 2, steps: 8, lr: 0.1, average: 0.8, autotune: false },
  });

  it('writes the average (not the last iterate), and a run stopped mid-scale resumes to the same bytes', async () => {
    const whole = await stylize(run());
    const last = await stylize({ ...run(), average: 0 });
    expect(Buffer.from(whole.image.data).equals(Buffer.from(last.image.data))).toBe(false);
    let steps = 0;
    const controller = new AbortController();
    const file = join(work, 'stopped.png.ckpt');
    const stopped = await stylize({
      ...run(),
      signal: controller.signal,
      checkpoint: { path: file, every: 1000 },
      printEvery: 1,
      onProgress: (p) => {
        if (p.scale === 2 && ++steps === 3) controller.abort();
      },
    });
    expect(stopped.stopped).toBe('aborted');
    const saved = await readCheckpoint(file);
    expect(saved.state.scale).toBe(2);
    expect(saved.state.average?.updates).toBe(saved.state.step + 1);
    const resumed = await stylize({ ...run(), resume: file });
    expect(resumed.stopped).toBeNull();
    expect(Buffer.from(resumed.image.data).equals(Buffer.from(whole.image.data))).toBe(true);
  });
});
