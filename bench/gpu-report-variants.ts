// The conv3x3 variants the GPU report times, and its correctness check of each on this adapter
// (CI never runs on a real GPU: a variant wrong only on 32- or 64-wide subgroups shows up here).

import type { DeviceTensor, GpuContext } from '../src/gpu/index.js';
import { conv3x3Forward, conv3x3InputGrad, convVariantsFor, flipConv3x3Weights, type ConvVariant } from '../src/kernels/index.js';
import { conv3x3Tiled, TILED_CONV_VARIANTS } from '../src/kernels/conv3x3_tiled.js';
import * as oracle from '../test/helpers/oracle.js';

export interface Conv {
  forward(x: DeviceTensor, w: DeviceTensor, b?: DeviceTensor, reluInput?: boolean): DeviceTensor;
  /** dx from dy and the flipped weights, masked by [mask > 0] when given. */
  inputGrad(dy: DeviceTensor, flipped: DeviceTensor, mask?: DeviceTensor): DeviceTensor;
}

/** What the autotuner may pick here, plus the tiled variants where conv3x3.ts does not offer them. */
export function variantsToTime(c: GpuContext): Array<{ name: string; conv: Conv }> {
  const offered = convVariantsFor(c);
  const direct = (variant: ConvVariant): Conv => ({
    forward: (x, w, b, reluInput) => conv3x3Forward(c, x, w, b, { variant, reluInput }),
    inputGrad: (dy, flipped, mask) => conv3x3InputGrad(c, dy, flipped, { variant, mask }),
  });
  const tiled = TILED_CONV_VARIANTS.filter((t) => !offered.some((v) => v.name === t.name)).map((t) => ({
    name: t.name,
    conv: {
      forward: (x, w, b, reluInput) => conv3x3Tiled(c, `tiled ${t.name}`, x, w, b, t, { reluInput }),
      inputGrad: (dy, flipped, mask) => conv3x3Tiled(c, `tiled ${t.name} input grad`, dy, flipped, undefined, t, { mask }),
    } satisfies Conv,
  }));
  return [...offered.map((v) => ({ name: v.name, conv: direct(v) })), ...tiled];
}

export interface VariantCheck {
  variant: string;
  /** Largest relative error (max |Δ| / max |reference|) over the checks against the float64 oracle. */
  maxRelativeError: number | null;
  ok: boolean;
  error: string | null;
}

/** Relative error the conv tests allow against the float64 oracle (test/helpers/kernel-check.ts). */
export const CHECK_TOLERANCE = 2e-5;

const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * 0.5);

function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    ref = Math.max(ref, Math.abs(expected[i]!));
  }
  return diff / (ref || 1);
}

/**
 * Each variant's relu → conv forward (with bias) and masked input gradient against the float64
 * oracle, on shapes with odd sizes, a batch of 2 and channels not a multiple of any block.
 */
export async function checkVariants(ctx: GpuContext, variants: Array<{ name: string; conv: Conv }>): Promise<VariantCheck[]> {
  const results: VariantCheck[] = [];
  const shapes: Array<[[number, number, number, number], number]> = [
    [[2, 5, 7, 11], 7],
    [[1, 19, 13, 37], 70],
  ];
  const cases = shapes.map(([shape, cout]) => {
    const [n, cin, h, w] = shape;
    const x = values(n * cin * h * w, 1);
    const wv = values(cout * cin * 9, 2);
    const b = values(cout, 3);
    const dy = values(n * cout * h * w, 4);
    const y = oracle.conv3x3(oracle.relu(x), shape, wv, cout, b);
    const dx = oracle.reluGrad(x, oracle.conv3x3Grads(oracle.relu(x), shape, wv, cout, dy).dx);
    return { shape, cout, x, wv, b, dy, y, dx };
  });
  for (const v of variants) {
    let worst = 0;
    try {
      for (const c of cases) {
        const [n, cin, h, w] = c.shape;
        const xt = ctx.upload(c.shape, c.x);
        const wt = ctx.upload([c.cout, cin, 3, 3], c.wv);
        const bt = ctx.upload([c.cout], c.b);
        const dyt = ctx.upload([n, c.cout, h, w], c.dy);
        const flipped = flipConv3x3Weights(ctx, wt);
        const y = v.conv.forward(xt, wt, bt, true);
        const dx = v.conv.inputGrad(dyt, flipped, xt);
        worst = Math.max(worst, relativeError(await y.read(), c.y), relativeError(await dx.read(), c.dx));
        for (const t of [xt, wt, bt, dyt, flipped, y, dx]) t.release();
      }
      results.push({ variant: v.name, maxRelativeError: worst, ok: worst <= CHECK_TOLERANCE, error: null });
    } catch (err) {
      results.push({ variant: v.name, maxRelativeError: null, ok: false, error: (err as Error).message.split('\n')[0]!.slice(0, 300) });
      await ctx.sync().catch(() => undefined);
    }
  }
  return results;
}
