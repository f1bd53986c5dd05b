import { describe, expect, it } from 'vitest';
import { sum } from '../src/kernels/index.js';
import { useGpu } from './helpers/gpu.js';
import { randomArray, rng } from './helpers/random.js';

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
    console.log(
      `sum of 1e7: relative error ${error.toExponential(2)} (naive f32 loop: ${(Math.abs(naive - exact) / exact).toExponential(2)})`,
    );
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
      expect(Math.abs(total! - 0.5 * exact), `n = ${n}`).toBeLessThan(
        1e-5 *
          Math.max(
            1,
            values.reduce((a, b) => a + Math.abs(b), 0),
          ),
      );
      t.release();
    }
  });
});
