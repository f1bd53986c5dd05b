import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/gpu/index.js';
import { norms, normsInto } from '../src/kernels/index.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { useGpu } from './helpers/gpu.js';
import { randomArray } from './helpers/random.js';

// ‖x‖∞ is exact (a max of f32 values); ‖x‖₁ is a compensated sum of positive values, within 4e-8
// relative of float64 on lavapipe at every size here: 1e-6 leaves 25× margin.
const TOLERANCE = 1e-6;

async function normErrors(ctx: GpuContext, n: number, seed: number): Promise<[number, number]> {
  const x = randomArray(n, seed, 3);
  const xt = ctx.upload([n], x);
  const out = norms(ctx, xt);
  const [l1, linf] = await out.read();
  xt.release();
  out.release();
  const exact1 = x.reduce((s, v) => s + Math.abs(v), 0);
  const exactInf = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return [Math.abs(l1! - exact1) / exact1, Math.abs(linf! - exactInf) / exactInf];
}

describe('norms', () => {
  const gpu = useGpu();

  it('‖x‖₁ and ‖x‖∞ match float64 at sizes around the workgroup and partial-count boundaries', async () => {
    for (const n of [1, 255, 256, 257, 1025, 262_145, 1_048_577]) {
      const [e1, eInf] = await normErrors(gpu(), n, n);
      expect(e1, `‖x‖₁, n = ${n}`).toBeLessThan(TOLERANCE);
      expect(eInf, `‖x‖∞, n = ${n}`).toBe(0);
    }
  });

  it('normsInto writes two slots of a scalars tensor and no other', async () => {
    const ctx = gpu();
    const scalars = ctx.upload([5], [9, 9, 9, 9, 9]);
    const xt = ctx.upload([300_000], randomArray(300_000, 2));
    normsInto(ctx, xt, scalars, 2);
    const values = await scalars.read();
    expect([values[0], values[1], values[4]]).toEqual([9, 9, 9]);
    expect(values[3]).toBeLessThanOrEqual(1);
    expect(values[2]).toBeGreaterThan(1e5);
  });

  it('norms without the absolute value fail the same check', async () => {
    const broken = withBrokenShader(gpu(), 'norms', 'var a = abs(x[i]);', 'var a = x[i];');
    const [e1] = await normErrors(broken, 4097, 4097);
    expect(e1).toBeGreaterThan(TOLERANCE);
  });
});
