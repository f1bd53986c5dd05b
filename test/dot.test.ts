import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/gpu/index.js';
import { dot, dotInto } from '../src/kernels/index.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { useGpu } from './helpers/gpu.js';
import { dot as dot64 } from './helpers/oracle.js';
import { randomArray } from './helpers/random.js';

// The f32 products are exact in float64 and the sums are Kahan-compensated per invocation: lavapipe
// is within 5e-9 of Σ|x·y| of the float64 inner product at every size here, so 1e-6 leaves 200×
// margin, and dropping one term (7e-4 of Σ|x·y| at n = 4097) fails it 700× over.
const TOLERANCE = 1e-6;

async function dotError(ctx: GpuContext, n: number, seed: number): Promise<number> {
  const x = randomArray(n, seed);
  const y = randomArray(n, seed + 1);
  const [xt, yt] = [ctx.upload([n], x), ctx.upload([n], y)];
  const result = dot(ctx, xt, yt, 0.5);
  const [value] = await result.read();
  for (const t of [xt, yt, result]) t.release();
  const scale = x.reduce((s, v, i) => s + Math.abs(v * y[i]!), 0);
  return Math.abs(value! - 0.5 * dot64(x, y)) / (0.5 * scale);
}

describe('dot', () => {
  const gpu = useGpu();

  it('matches a float64 inner product at sizes around the workgroup and partial-count boundaries', async () => {
    for (const n of [1, 255, 256, 257, 1023, 1025, 4097, 262_145, 1_048_577]) {
      expect(await dotError(gpu(), n, n), `n = ${n}`).toBeLessThan(TOLERANCE);
    }
  });

  it('dotInto writes its slot of a scalars tensor and no other', async () => {
    const ctx = gpu();
    const x = randomArray(3000, 5);
    const scalars = ctx.upload([6], [1, 2, 3, 4, 5, 6]);
    const xt = ctx.upload([3000], x);
    dotInto(ctx, xt, xt, scalars, 4);
    const values = await scalars.read();
    expect(Array.from(values.subarray(0, 4))).toEqual([1, 2, 3, 4]);
    expect(values[5]).toBe(6);
    expect(Math.abs(values[4]! - dot64(x, x)) / dot64(x, x)).toBeLessThan(TOLERANCE);
  });

  it('a dot that drops its last term fails the same check', async () => {
    const broken = withBrokenShader(gpu(), 'dot', 'return x[i] * y[i];', 'return select(x[i] * y[i], 0.0, i + 1u == p.n);');
    expect(await dotError(broken, 4097, 4097)).toBeGreaterThan(TOLERANCE);
  });
});
