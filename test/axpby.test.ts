import { describe, expect, it } from 'vitest';
import { accumulate, add, axpby, scale, sum } from '../src/kernels/index.js';
import { expectClose } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { randomArray, rng } from './helpers/random.js';

describe('scale, add, accumulate', () => {
  const gpu = useGpu();
  const n = 1000;
  const x = randomArray(n, 1);
  const y = randomArray(n, 2);

  it('axpby computes a·x + b·y in place', async () => {
    const ctx = gpu();
    const yt = ctx.upload([n], y);
    axpby(ctx, 2.5, ctx.upload([n], x), -0.5, yt);
    expectClose(await yt.read(), x.map((v, i) => 2.5 * v - 0.5 * y[i]!), 1e-6, 'axpby');
  });

  it('scale ignores whatever a recycled output buffer held, even NaN', async () => {
    const ctx = gpu();
    const poisoned = ctx.upload([n], new Array(n).fill(NaN));
    poisoned.release(); // the next tensor of this size reuses this buffer
    const out = scale(ctx, ctx.upload([n], x), 3);
    expectClose(await out.read(), x.map((v) => 3 * v), 1e-6, 'scale');
  });

  it('add and accumulate sum their inputs', async () => {
    const ctx = gpu();
    const xt = ctx.upload([n], x);
    const s = add(ctx, xt, ctx.upload([n], y));
    accumulate(ctx, s, xt);
    expectClose(await s.read(), x.map((v, i) => 2 * v + y[i]!), 1e-6, 'add + accumulate');
  });

  it('refuses to alias input and output', () => {
    const ctx = gpu();
    const t = ctx.zeros([4]);
    expect(() => axpby(ctx, 1, t, 1, t)).toThrow(/different tensors/);
  });
});

describe('parallel sum reduction', () => {
  const gpu = useGpu();

  it('sums 10^7 values within 1e-5 relative of a float64 sum', async () => {
    const ctx = gpu();
    const n = 10_000_000;
    const next = rng(3);
    // Positive values with a spread of magnitudes: a naive running f32 sum is off by ~1e-3 here.
    const values = new Float32Array(n);
    let exact = 0;
    for (let i = 0; i < n; i++) {
      values[i] = next() * (i % 7 === 0 ? 100 : 1);
      exact += values[i]!;
    }
    let naive = Math.fround(0);
    for (let i = 0; i < n; i++) naive = Math.fround(naive + values[i]!);
    const t = ctx.upload([n], values);
    const [total] = await sum(ctx, t).read();
    const error = Math.abs(total! - exact) / exact;
    console.log(`sum of 1e7: relative error ${error.toExponential(2)} (naive f32 loop: ${(Math.abs(naive - exact) / exact).toExponential(2)})`);
    expect(error).toBeLessThan(1e-5);
    t.release();
  });

  it('sums sizes around the workgroup and partial-count boundaries', async () => {
    const ctx = gpu();
    for (const n of [1, 255, 256, 257, 1023, 1024, 1025, 262_145, 1_048_577]) {
      const values = randomArray(n, n);
      const exact = values.reduce((a, b) => a + b, 0);
      const t = ctx.upload([n], values);
      const [total] = await sum(ctx, t, 0.5).read();
      expect(Math.abs(total! - 0.5 * exact), `n = ${n}`).toBeLessThan(1e-5 * Math.max(1, values.reduce((a, b) => a + Math.abs(b), 0)));
      t.release();
    }
  });
});
