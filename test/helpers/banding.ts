// Driving the banded paths (src/kernels/band.ts) with tiny tensors: a context whose bindings are
// capped (GpuContext.capBinding) so that the kernels split their tensors, and the one check that a
// banded result equals the unbanded one (bit for bit, or within a stated tolerance); describeBanded
// runs both, and the kernel checks, on one differentiable kernel.

import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceTensor, GpuContext } from '../../src/gpu/index.js';
import { relativeError } from './compare.js';
import { describeDifferentiable, type DifferentiableCase } from './kernel-check.js';
import { randomArray, size } from './random.js';

/**
 * A context getter (for describeDifferentiable and describeConvVariantCase) whose context binds at
 * most `bytes` from the first call in a test until the test ends. Registers the afterEach that
 * lifts the cap, so call it inside the describe whose tests use it.
 */
export function cappedGpu(gpu: () => GpuContext, bytes: number): () => GpuContext {
  afterEach(() => gpu().capBinding(null));
  return () => {
    const ctx = gpu();
    ctx.capBinding(bytes);
    return ctx;
  };
}

/** Records `fn` with bindings capped at `bytes` (null: uncapped), and lifts the cap again. */
export function capped<T>(ctx: GpuContext, bytes: number | null, fn: () => T): T {
  ctx.capBinding(bytes);
  try {
    return fn();
  } finally {
    ctx.capBinding(null);
  }
}

/** Reads the tensors `record` makes, once uncapped and once capped at `bytes`, and releases them. */
export async function bandedAndPlain(
  ctx: GpuContext,
  bytes: number,
  record: () => DeviceTensor[],
): Promise<{ banded: Float32Array[]; plain: Float32Array[] }> {
  const run = async (cap: number | null) => {
    const outs = capped(ctx, cap, record);
    const values = await Promise.all(outs.map((t) => t.read()));
    for (const t of outs) t.release();
    return values;
  };
  return { plain: await run(null), banded: await run(bytes) };
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  const [ua, ub] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
  return ua.length === ub.length && ua.every((v, i) => v === ub[i]);
}

/**
 * The banded result equals the unbanded one: bit for bit ('bits': the same arithmetic per value,
 * only the bindings differ), or within `tolerance` relative to the largest unbanded value (sums
 * reassociated across bands, Winograd tiles moved with the band's first row).
 */
export function expectLikeUnbanded(banded: Float32Array, plain: Float32Array, tolerance: number | 'bits', what: string): void {
  expect(banded.length, `${what}: length`).toBe(plain.length);
  const error = relativeError(banded, plain);
  if (process.env.WGPU_STYLE_REPORT_ERRORS)
    console.log(`[banded vs unbanded] ${what}: ${error.toExponential(2)}, same bits: ${bitsEqual(banded, plain)}`);
  if (tolerance === 'bits')
    expect(bitsEqual(banded, plain), `${what}: banded differs from unbanded (relative error ${error.toExponential(3)})`).toBe(true);
  else
    expect(error, `${what}: banded vs unbanded relative error ${error.toExponential(3)} exceeds ${tolerance}`).toBeLessThanOrEqual(
      tolerance,
    );
}

/** A differentiable kernel's case for describeBanded. */
export interface BandedKernelCase extends DifferentiableCase {
  /** Caps to run at, each with the number of bands (or chunks) the planner must make under it. */
  caps: Array<[number, number]>;
  /** Banded vs unbanded, forward and backward (see expectLikeUnbanded). */
  tolerance: [number | 'bits', number | 'bits'];
  /** The planner's bands (or chunks) for this case under the context's current cap. */
  plan(ctx: GpuContext): number;
}

/**
 * Under each cap: the planner makes the bands it should (and one without the cap), the banded
 * forward and backward equal the unbanded ones, and the kernel checks (kernel-check.ts: the
 * float64 oracle, finite differences) pass on the banded path.
 */
export function describeBanded(gpu: () => GpuContext, c: BandedKernelCase): void {
  describe(`banding: ${c.name}`, () => {
    for (const [cap, count] of c.caps) {
      it(`runs in ${count} bands under a ${cap}-byte cap, banded equal to unbanded`, async () => {
        const ctx = gpu();
        expect(capped(ctx, cap, () => c.plan(ctx))).toBe(count);
        expect(c.plan(ctx)).toBe(1);
        const dy = randomArray(size(c.outputShape), 991);
        const { banded, plain } = await bandedAndPlain(ctx, cap, () => {
          const [xt, dyt] = [ctx.upload(c.inputShape, c.input), ctx.upload(c.outputShape, dy)];
          const out = [c.forward(ctx, xt), c.backward(ctx, xt, dyt)];
          xt.release();
          dyt.release();
          return out;
        });
        expectLikeUnbanded(banded[0]!, plain[0]!, c.tolerance[0], `${c.name} forward`);
        expectLikeUnbanded(banded[1]!, plain[1]!, c.tolerance[1], `${c.name} backward`);
      });
      describe(`capped at ${cap} bytes`, () => {
        describeDifferentiable(cappedGpu(gpu, cap), { ...c, name: `${c.name}, ${count} bands` });
      });
    }
  });
}
