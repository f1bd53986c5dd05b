// The warm style session (src/style/session.ts): runs on one session give what jobs of their own
// give, the style Grams are computed once per working size, and the temporal term of a video frame
// (LossConfig.temporal) pulls the image towards its target where the certainty says so, and is
// counted by the memory plan.

import { describe, expect, it, vi } from 'vitest';
import type { DeviceTensor } from '../src/gpu/index.js';
import { tuningFor } from '../src/kernels/index.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { scalePeakBytes, type MemoryJob } from '../src/plan/memory-plan.js';
import { planJob } from '../src/plan/plan-job.js';
import { rgbToNormalized, uploadImage, type RgbaImage } from '../src/style/image-tensor.js';
import { runStyleJob } from '../src/style/job.js';
import * as loss from '../src/style/loss.js';
import { StyleSession } from '../src/style/session.js';
import { useGpu } from './helpers/gpu.js';
import { texture } from './helpers/video-clip.js';

vi.mock(import('../src/style/loss.js'), async (original) => {
  const m = await original();
  return { ...m, computeStyleTargets: vi.fn(m.computeStyleTargets) };
});

const gpu = useGpu();
// Blocks 1–3 of synthetic weights: small and quick.
const weights = syntheticWeights(2, 12);
const settings = { contentLayers: [12], styleLayers: [0, 5, 10], autotune: false, steps: 4 } as const;
const [content, style, other] = [texture(32, 24), texture(24, 24, 50, 9), texture(32, 24, 17, 40)];

const plain = (image: RgbaImage): number[] => Array.from(image.data);

describe('a style session', () => {
  it('gives each run the image a job of its own gives, and computes the Grams once per working size', async () => {
    const ctx = gpu();
    const plan2 = planJob({ ...settings, size: 32, scales: 2 }, 32, 24, 1);
    const plan1 = planJob({ ...settings, size: 32, scales: 1, steps: 3 }, 32, 24, 1);
    const alone = [await runStyleJob(ctx, weights, content, [style], plan2), await runStyleJob(ctx, weights, other, [style], plan1)];
    const grams = vi.mocked(loss.computeStyleTargets);
    grams.mockClear();
    const session = new StyleSession(ctx, weights, [style], plan2);
    try {
      const first = await session.run(content, plan2);
      expect(grams).toHaveBeenCalledTimes(2); // 16×12, then 32×24
      const second = await session.run(other, plan1);
      const third = await session.run(other, plan1);
      expect(grams).toHaveBeenCalledTimes(2); // 32×24 again: kept
      expect(session.styleTargetComputations).toBe(2);
      expect(plain(first.image)).toEqual(plain(alone[0]!.image));
      expect(plain(second.image)).toEqual(plain(alone[1]!.image));
      expect(plain(third.image)).toEqual(plain(alone[1]!.image));
      expect(first.history.every((p) => p.temporal === null)).toBe(true);
    } finally {
      session.dispose();
    }
  });

  it('refuses a run whose options shape the network otherwise', async () => {
    const ctx = gpu();
    const plan = planJob({ ...settings, size: 32, scales: 1 }, 32, 24, 1);
    const session = new StyleSession(ctx, weights, [style], plan);
    try {
      await expect(session.run(content, { ...plan, pooling: 'avg' })).rejects.toThrow(/otherwise than the session/);
    } finally {
      session.dispose();
    }
  });

  it('pulls the image towards the temporal target where the certainty is 1, and leaves it where it is 0', async () => {
    const ctx = gpu();
    const plan = planJob({ ...settings, size: 32, scales: 1, steps: 30, lr: 0.05 }, 32, 24, 1);
    const rgb = uploadImage(ctx, other);
    const target = rgbToNormalized(ctx, rgb, 32, 24);
    // Certainty 1 on the left half, 0 on the right.
    const certainty = ctx.upload(
      [1, 1, 24, 32],
      Float32Array.from({ length: 24 * 32 }, (_, i) => (i % 32 < 16 ? 1 : 0)),
      'certainty',
    );
    const session = new StyleSession(ctx, weights, [style], plan);
    try {
      const distance = (image: RgbaImage, left: boolean) => {
        let sum = 0;
        for (let i = 0; i < 24 * 32; i++)
          if (i % 32 < 16 === left) for (let c = 0; c < 3; c++) sum += Math.abs(image.data[i * 4 + c]! - other.data[i * 4 + c]!);
        return sum / (24 * 16 * 3);
      };
      const without = await session.run(content, plan);
      const temporal = { weight: 1e4, terms: [{ target, certainty }] };
      const withTerm = await session.run(content, { ...plan, loss: { ...plan.loss, temporal } });
      expect(withTerm.history.at(-1)!.temporal).toBeGreaterThan(0);
      expect(withTerm.history.at(-1)!.temporal!).toBeLessThan(withTerm.history[0]!.temporal! / 4);
      expect(distance(withTerm.image, true)).toBeLessThan(distance(without.image, true) / 3);
      expect(Math.abs(distance(withTerm.image, false) - distance(without.image, false))).toBeLessThan(0.2 * distance(without.image, false));
    } finally {
      session.dispose();
      for (const t of [rgb, target, certainty]) t.release();
    }
  });

  it("starts from a normalised-space tensor given as init (a video's warped start)", async () => {
    const ctx = gpu();
    const plan = planJob({ ...settings, size: 32, scales: 1, steps: 1, lr: 1e-6 }, 32, 24, 1);
    const rgb = uploadImage(ctx, other);
    const start = rgbToNormalized(ctx, rgb, 32, 24);
    try {
      const result = await runStyleJob(ctx, weights, content, [style], { ...plan, init: { normalized: start } });
      const diff = result.image.data.reduce((m, v, i) => (i % 4 === 3 ? m : Math.max(m, Math.abs(v - other.data[i]!))), 0);
      expect(diff).toBeLessThanOrEqual(1);
    } finally {
      for (const t of [rgb, start]) t.release();
    }
  });

  it("plans a frame's temporal targets, certainties and loss: the peak they add, as the pool measures it", async () => {
    const ctx = gpu();
    tuningFor(ctx).clear();
    // Block 1 only, so that the temporal tensors are a good part of the peak.
    const block1 = { ...settings, contentLayers: [2], styleLayers: [0], size: 48, scales: 1, steps: 2 };
    const image = (seed: number) => texture(48, 48, seed, 2 * seed);
    const peak = async (temporalTerms: number) => {
      const plan = planJob(block1, 48, 48, 1, { temporalTerms });
      const tensors: DeviceTensor[] = [];
      const terms = Array.from({ length: temporalTerms }, (_, i) => {
        const rgb = uploadImage(ctx, image(i + 5));
        const target = rgbToNormalized(ctx, rgb, 48, 48);
        rgb.release();
        const certainty = ctx.upload([1, 1, 48, 48], new Float32Array(48 * 48).fill(1), 'certainty');
        tensors.push(target, certainty);
        return { target, certainty };
      });
      const temporal = temporalTerms ? { weight: 10, terms } : undefined;
      // A video frame starts from the warped earlier output, which the video job holds through the run.
      const start = temporalTerms ? ctx.copy(terms[0]!.target, 'start') : null;
      if (start) tensors.push(start);
      const init = start ? { normalized: start } : plan.init;
      await ctx.sync();
      ctx.resetMemoryPeak();
      await runStyleJob(ctx, weights, image(3), [image(4)], { ...plan, init, loss: { ...plan.loss, temporal } });
      await ctx.sync();
      for (const t of tensors) t.release();
      const job: MemoryJob = { ...plan, convertsInput: false, subgroups: ctx.subgroupsOf8, winograd: false, temporalTerms };
      return { measured: ctx.memory().peakLiveBytes, predicted: scalePeakBytes(job, 48, 48, false) };
    };
    const [without, withTerms] = [await peak(0), await peak(3)];
    expect(Math.abs(withTerms.predicted / withTerms.measured - 1), `${withTerms.predicted} vs ${withTerms.measured}`).toBeLessThan(0.01);
    const [added, predictedAdded] = [withTerms.measured - without.measured, withTerms.predicted - without.predicted];
    expect(added).toBeGreaterThan(0);
    expect(Math.abs(predictedAdded / added - 1), `${predictedAdded} vs ${added}`).toBeLessThan(0.05);
  });
});
