// The histogram term and colour transfer in a whole (tiny) job on synthetic weights: the term is
// reported and lowered by the steps; --color-transfer style starts from the recoloured content;
// content keys the style targets by the content image (computed again for another content only);
// blendHistogramTargets is the weighted mean of the quantile tables.

import { describe, expect, it } from 'vitest';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { planJob } from '../src/plan/plan-job.js';
import { transferColors } from '../src/style/color-transfer.js';
import { blendHistogramTargets } from '../src/style/histogram-term.js';
import { downloadImage, uploadImage } from '../src/style/image-tensor.js';
import { StyleSession } from '../src/style/session.js';
import { useGpu } from './helpers/gpu.js';
import { texture } from './helpers/video-clip.js';
import { randomArray } from './helpers/random.js';

const gpu = useGpu();
const weights = syntheticWeights(2, 12);
const settings = { contentLayers: [12], styleLayers: [0, 5, 10], autotune: false, size: 32, scales: 1 } as const;
const [content, style, other] = [texture(32, 24), texture(24, 24, 50, 9), texture(32, 24, 17, 40)];

describe('histogram term and colour transfer in a job', () => {
  it('reports the histogram term, which the steps lower', async () => {
    const plan = planJob({ ...settings, steps: 12, lr: 0.05, histogramWeight: 10, histogramLayers: [0, 5], printEvery: 1 }, 32, 24, 1);
    const session = new StyleSession(gpu(), weights, [style], plan);
    try {
      const { history } = await session.run(content, plan);
      const values = history.map((p) => p.histogram!);
      expect(values.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
      expect(values.at(-1)!).toBeLessThan(0.9 * values[0]!);
    } finally {
      session.dispose();
    }
    const off = planJob({ ...settings, steps: 1 }, 32, 24, 1);
    const plain = new StyleSession(gpu(), weights, [style], off);
    try {
      expect((await plain.run(content, off)).history.every((p) => p.histogram === null)).toBe(true);
    } finally {
      plain.dispose();
    }
  });

  it('--color-transfer style starts from the content recoloured with the style (content init, 0 steps of change)', async () => {
    const ctx = gpu();
    // lr 0: the output is the start, the content as the run uses it.
    const plan = planJob({ ...settings, steps: 1, lr: 1e-12, colorTransfer: 'style' }, 32, 24, 1);
    const session = new StyleSession(ctx, weights, [style], plan);
    try {
      const out = (await session.run(content, plan)).image;
      const [c, s] = [uploadImage(ctx, content), uploadImage(ctx, style)];
      const want = await downloadImage(transferColors(ctx, c, [s], [1]));
      c.release();
      s.release();
      const diff = Math.max(...Array.from(out.data, (v, i) => Math.abs(v - want.data[i]!)));
      expect(diff).toBeLessThanOrEqual(2); // 8-bit rounding through the normalised space
      const fromContent = Math.max(...Array.from(out.data, (v, i) => Math.abs(v - content.data[i]!)));
      expect(fromContent).toBeGreaterThan(20); // the colours did change
    } finally {
      session.dispose();
    }
  });

  it('--color-transfer content computes the style targets per content image, and keeps them for the same one', async () => {
    const plan = planJob({ ...settings, steps: 1, colorTransfer: 'content' }, 32, 24, 1);
    const session = new StyleSession(gpu(), weights, [style], plan);
    try {
      await session.run(content, plan);
      await session.run(content, plan);
      expect(session.styleTargetComputations).toBe(1);
      await session.run(other, plan);
      expect(session.styleTargetComputations).toBe(2);
    } finally {
      session.dispose();
    }
  });

  it('blends histogram targets as the weighted mean of the quantile tables', async () => {
    const ctx = gpu();
    const [a, b] = [randomArray(12, 1), randomArray(12, 2)];
    const [blended] = blendHistogramTargets(ctx, [[ctx.upload([3, 4], a)], [ctx.upload([3, 4], b)]], [0.25, 0.75]);
    const got = await blended!.read();
    blended!.release();
    got.forEach((v, i) => expect(v).toBeCloseTo(0.25 * a[i]! + 0.75 * b[i]!, 6));
  });
});
