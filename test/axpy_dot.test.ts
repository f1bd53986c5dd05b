import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/gpu/index.js';
import { AxpyDotChain } from '../src/kernels/index.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { dot } from './helpers/oracle.js';
import { randomArray } from './helpers/random.js';

// Each pass is one multiply-add per element with a coefficient from an f32 inner product (Kahan
// sums per invocation, a tree over invocations and workgroups). On lavapipe the worst error, of y
// (relative to its largest value) or of an inner product (relative to Σ|z·y|), is 1.2e-7 at these
// sizes: 2e-6 leaves 17×.
const TOLERANCE = 2e-6;

/**
 * Three passes as the two-loop recursion chains them, on the device and in float64: y ← b·y + c·s[i]·x₀
 * (starting z₀·y), then y ← y + c·(s[i] − z₀·y)·x₁ (keeping z₀·y in s[3], starting z₁·y), then
 * z₁·y alone into s[4]. Returns the worst relative error of y and of the two inner products.
 */
async function chainErrors(ctx: GpuContext, n: number): Promise<number> {
  const [x0, x1, z0, z1, y0] = [1, 2, 3, 4, 5].map((seed) => randomArray(n, seed + n));
  const s = [0.5, -1.5, 2, 0, 0, 0];
  const scalars = ctx.upload([6], s);
  const y = ctx.upload([n], y0!);
  const chain = new AxpyDotChain(ctx, scalars, y);
  const [x0t, x1t, z0t, z1t] = [x0, x1, z0, z1].map((v) => ctx.upload([n], v!));
  chain.pass({ x: x0t!, b: 0.75, c: -1.25, i: 2, z: z0t });
  chain.pass({ x: x1t!, b: 1, c: 0.001, i: 1, store: 3, z: z1t });
  chain.finish(4);
  chain.release();
  const first = y0!.map((v, k) => 0.75 * v - 1.25 * s[2]! * x0![k]!);
  const inner0 = dot(z0!, first);
  const second = first.map((v, k) => v + 0.001 * (s[1]! - inner0) * x1![k]!);
  const inner1 = dot(z1!, second);
  const [values, stored] = [await y.read(), await scalars.read()];
  const innerError = (got: number, want: number, z: Float64Array, v: Float64Array) =>
    Math.abs(got - want) / z.reduce((a, zk, k) => a + Math.abs(zk * v[k]!), 0);
  return Math.max(relativeError(values, second), innerError(stored[3]!, inner0, z0!, first), innerError(stored[4]!, inner1, z1!, second));
}

describe('axpy_dot', () => {
  const gpu = useGpu();

  it('chains updates that use the inner product the pass before started, at sizes around the workgroup and partial-count boundaries', async () => {
    for (const n of [1, 255, 1025, 70_001, 1_048_577]) expect(await chainErrors(gpu(), n), `n = ${n}`).toBeLessThan(TOLERANCE);
  });

  it('refuses x or z aliasing y, a pending inner product with nowhere to go, and a coefficient slot stored into', () => {
    const ctx = gpu();
    const [s, x, y] = [ctx.zeros([4]), ctx.zeros([8]), ctx.zeros([8])];
    const chain = new AxpyDotChain(ctx, s, y);
    expect(() => chain.pass({ x: y, b: 1, c: 1, i: 0 })).toThrow(/must not be y/);
    chain.pass({ x, b: 1, c: 1, i: 0, z: x });
    expect(() => chain.pass({ x, b: 1, c: 1, i: 0 })).toThrow(/needs a slot/);
    expect(() => chain.pass({ x, b: 1, c: 1, i: 2, store: 2 })).toThrow(/slot 2 is the one stored into/);
    chain.release();
  });

  it('a pass that leaves out the last partial sum fails the same check', async () => {
    const broken = withBrokenShader(gpu(), 'axpy_dot', 'k < p.prev_count', 'k + 1u < p.prev_count');
    expect(await chainErrors(broken, 70_001)).toBeGreaterThan(TOLERANCE);
  });
});
