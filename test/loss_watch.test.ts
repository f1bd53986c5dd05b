// The divergence watch: the device keeps the first step whose total loss is not finite, and
// nothing after it, so a run that reads losses only at reports still knows where it diverged.

import { describe, expect, it } from 'vitest';
import { lossWatch, watchLoss } from '../src/kernels/index.js';
import { useGpu } from './helpers/gpu.js';

describe('loss_watch', () => {
  const gpu = useGpu();
  it('records the first step whose total is NaN or infinite, with that total, and ignores later ones and finite ones', async () => {
    const ctx = gpu();
    const record = lossWatch(ctx);
    const totals = [1, 2.5, 3e38, Infinity, NaN, -Infinity, 4];
    totals.forEach((total, i) => {
      const losses = ctx.upload([4], Float32Array.from([0.1, 0.2, 0.3, total]), 'losses');
      watchLoss(ctx, losses, record, i + 1);
      losses.release();
    });
    expect(Array.from(await record.read())).toEqual([4, Infinity]);
    record.release();
  });

  it('stays empty while every total is finite, and takes NaN as not finite', async () => {
    const ctx = gpu();
    const record = lossWatch(ctx);
    for (const [i, total] of [0, -1, 1e-38, 3.4e38].entries()) {
      const losses = ctx.upload([4], Float32Array.from([0, 0, 0, total]), 'losses');
      watchLoss(ctx, losses, record, i + 1);
      losses.release();
    }
    expect(Array.from(await record.read())).toEqual([0, 0]);
    const nan = ctx.upload([4], Float32Array.from([0, 0, 0, NaN]), 'losses');
    watchLoss(ctx, nan, record, 7);
    const [step, total] = await record.read();
    expect([step, Number.isNaN(total)]).toEqual([7, true]);
    nan.release();
    record.release();
  });
});
