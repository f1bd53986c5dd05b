import { describe, expect, it } from 'vitest';
import { accumulate, add, axpby, scale } from '../src/kernels/index.js';
import { expectClose } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { randomArray } from './helpers/random.js';

describe('scale, add, accumulate', () => {
  const gpu = useGpu();
  const n = 1000;
  const x = randomArray(n, 1);
  const y = randomArray(n, 2);

  it('axpby computes a·x + b·y in place', async () => {
    const ctx = gpu();
    const yt = ctx.upload([n], y);
    axpby(ctx, 2.5, ctx.upload([n], x), -0.5, yt);
    expectClose(
      await yt.read(),
      x.map((v, i) => 2.5 * v - 0.5 * y[i]!),
      1e-6,
      'axpby',
    );
  });

  it('scale ignores whatever a recycled output buffer held, even NaN', async () => {
    const ctx = gpu();
    const poisoned = ctx.upload([n], new Array(n).fill(NaN));
    poisoned.release(); // the next tensor of this size reuses this buffer
    const out = scale(ctx, ctx.upload([n], x), 3);
    expectClose(
      await out.read(),
      x.map((v) => 3 * v),
      1e-6,
      'scale',
    );
  });

  it('add and accumulate sum their inputs', async () => {
    const ctx = gpu();
    const xt = ctx.upload([n], x);
    const s = add(ctx, xt, ctx.upload([n], y));
    accumulate(ctx, s, xt);
    expectClose(
      await s.read(),
      x.map((v, i) => 2 * v + y[i]!),
      1e-6,
      'add + accumulate',
    );
  });

  it('refuses to alias input and output', () => {
    const ctx = gpu();
    const t = ctx.zeros([4]);
    expect(() => axpby(ctx, 1, t, 1, t)).toThrow(/different tensors/);
  });
});
