import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/gpu/index.js';
import { axpyIndirect, type IndirectCoefficient } from '../src/kernels/index.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { randomArray } from './helpers/random.js';

// One multiply-add per element in f32 against float64: a few roundings, 1e-6 of the largest value.
const TOLERANCE = 1e-6;
const SCALARS = [0, 0.75, -2.5, 4, 1e-3];

async function update(ctx: GpuContext, k: IndirectCoefficient, n: number): Promise<number> {
  const x = randomArray(n, 1);
  const y = randomArray(n, 2);
  const s = ctx.upload([SCALARS.length], SCALARS);
  const yt = ctx.upload([n], y);
  axpyIndirect(ctx, s, ctx.upload([n], x), yt, k);
  const a = k.c * (SCALARS[k.i]! - SCALARS[k.j]!);
  return relativeError(
    await yt.read(),
    y.map((v, i) => k.b * v + a * x[i]!),
  );
}

describe('axpy_indirect', () => {
  const gpu = useGpu();

  it('computes y ← b·y + c·(s[i] − s[j])·x with the coefficient read from device scalars', async () => {
    for (const k of [
      { b: 1, c: -0.5, i: 3, j: 0 },
      { b: 0.25, c: 2, i: 1, j: 2 },
      { b: 1, c: 1e3, i: 4, j: 4 },
    ])
      expect(await update(gpu(), k, 70_001), JSON.stringify(k)).toBeLessThan(TOLERANCE);
  });

  it('refuses a slot outside the scalars and an aliased x and y', () => {
    const ctx = gpu();
    const [s, t] = [ctx.zeros([2]), ctx.zeros([8])];
    expect(() => axpyIndirect(ctx, s, t, ctx.zeros([8]), { b: 1, c: 1, i: 2, j: 0 })).toThrow(/slot 2 is not in/);
    expect(() => axpyIndirect(ctx, s, t, t, { b: 1, c: 1, i: 0, j: 1 })).toThrow(/different tensors/);
  });

  it('a sign flipped in the coefficient fails the same check', async () => {
    const broken = withBrokenShader(gpu(), 'axpy_indirect', 's[p.i] - s[p.j]', 's[p.i] + s[p.j]');
    expect(await update(broken, { b: 0.25, c: 2, i: 1, j: 2 }, 70_001)).toBeGreaterThan(TOLERANCE);
  });
});
