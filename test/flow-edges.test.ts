// The optical flow and its consistency check on the inputs that break numerical code: odd sizes
// (one row, one column, 2×2, one pyramid level, non-powers of two), identical frames, images
// without texture, a motion far beyond the pyramid's reach, and flows that are not finite (a
// hostile .flo): the flow must stay finite and a non-finite vector must never be called reliable.

import { describe, expect, it } from 'vitest';
import { flowConsistency, opticalFlow } from '../src/flow/index.js';
import type { GpuContext } from '../src/gpu/index.js';
import { warpForward } from '../src/kernels/index.js';
import { uploadImage } from '../src/style/image-tensor.js';
import { UserError } from '../src/util/errors.js';
import { makePair, smoothTexture, translation } from './helpers/flow-pairs.js';
import { useGpu } from './helpers/gpu.js';
import { randomArray } from './helpers/random.js';

/** The flow between two [1, 1, h, w] grey images given as values in 0..1. */
async function flowOf(ctx: GpuContext, h: number, w: number, a: ArrayLike<number>, b: ArrayLike<number>): Promise<Float32Array> {
  return opticalFlow(ctx, ctx.upload([1, 1, h, w], a), ctx.upload([1, 1, h, w], b)).read();
}

const grey = (n: number, seed: number) => randomArray(n, seed).map((v) => (v + 1) / 2);
const largest = (values: Float32Array) => values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('optical flow on edge cases', () => {
  const gpu = useGpu();

  // 1×1, one row, one column, 2×2, 3×17 (one pyramid level), 19×33 (two levels, odd sizes).
  const SIZES: Array<[number, number]> = [
    [1, 1],
    [1, 9],
    [9, 1],
    [2, 2],
    [3, 17],
    [19, 33],
  ];
  for (const [h, w] of SIZES) {
    it(`${h}×${w}: identical frames give a zero flow, a texture-free pair a finite one`, async () => {
      const ctx = gpu();
      const a = grey(h * w, 7 + h);
      const same = await flowOf(ctx, h, w, a, a);
      expect(same.length).toBe(2 * h * w);
      expect(largest(same)).toBeLessThan(1e-4);
      // Two constant images of different brightness: no gradient anywhere, nothing to divide by.
      const flat = await flowOf(ctx, h, w, new Float32Array(h * w).fill(0.2), new Float32Array(h * w).fill(0.7));
      expect(flat.every(Number.isFinite)).toBe(true);
      // Not exactly 0: the f32 rounding of the smoothing leaves a gradient of ~1e-5 grey levels
      // that the data step follows (measured: 1.2e-4 px on 1×9 and 9×1); 1e-3 px is still no motion.
      expect(largest(flat)).toBeLessThan(1e-3);
    });
  }

  it('stays finite, and its consistency in {0, 1}, for a 20 px shift of a 32 px image (beyond the pyramid)', async () => {
    const ctx = gpu();
    const pair = makePair(smoothTexture(4), 32, translation(20, -13));
    const [a, b] = [uploadImage(ctx, pair.from), uploadImage(ctx, pair.to)];
    const [back, fwd] = [opticalFlow(ctx, a, b), opticalFlow(ctx, b, a)];
    expect((await back.read()).every(Number.isFinite)).toBe(true);
    const c = await flowConsistency(ctx, back, fwd).read();
    expect(c.every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('refuses frames whose flow is over the binding limit, naming the size and the limit; the warp too', () => {
    const ctx = gpu();
    ctx.capBinding(1024); // 8×8 duals (16 bytes a pixel) fit, 9×8 do not
    try {
      expect(() => opticalFlow(ctx, ctx.zeros([1, 1, 8, 9]), ctx.zeros([1, 1, 8, 9]))).toThrow(UserError);
      expect(() => opticalFlow(ctx, ctx.zeros([1, 1, 8, 9]), ctx.zeros([1, 1, 8, 9]))).toThrow(/9×8 frames need 1152 bytes .* 1024/);
      opticalFlow(ctx, ctx.zeros([1, 1, 8, 8]), ctx.zeros([1, 1, 8, 8])).release();
      expect(() => warpForward(ctx, ctx.zeros([1, 3, 10, 10]), ctx.zeros([1, 2, 10, 10]))).toThrow(/warp_forward: image 1200 bytes/);
    } finally {
      ctx.capBinding(null);
    }
  });

  it('a black frame against a noisy one: finite', async () => {
    const flow = await flowOf(gpu(), 24, 24, new Float32Array(576), grey(576, 3));
    expect(flow.every(Number.isFinite)).toBe(true);
  });
});

describe('flow consistency on flows that are not finite', () => {
  const gpu = useGpu();
  const [h, w] = [6, 8];
  const n = h * w;
  // Opposite constant flows: every pixel reliable but where x + w's footprint leaves the image.
  const still = () => new Float32Array(2 * n).fill(0.25);
  const reverse = () => new Float32Array(2 * n).fill(-0.25);

  it('marks a pixel unreliable where its vector, or the reverse flow it samples, is NaN or infinite', async () => {
    const ctx = gpu();
    const check = (flow: Float32Array, back: Float32Array) =>
      flowConsistency(ctx, ctx.upload([1, 2, h, w], flow), ctx.upload([1, 2, h, w], back)).read();
    const clean = await check(still(), reverse());
    const at = 2 * w + 3; // pixel (3, 2): reliable on clean flows
    expect(clean[at]).toBe(1);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const flow = still();
      flow[n + at] = bad; // its own v
      expect((await check(flow, reverse()))[at], `own vector ${bad}`).toBe(0);
      const back = reverse();
      // Every tap of (3.25, 2.25)'s bilinear footprint: the reverse flow it reads is not finite.
      for (const j of [at, at + 1, at + w, at + w + 1]) back[j] = bad;
      expect((await check(still(), back))[at], `reverse flow ${bad}`).toBe(0);
    }
  });
});
