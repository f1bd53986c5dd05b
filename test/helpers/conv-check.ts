// The kernel checks of one conv3x3 variant on one case, through the public launchers
// (conv3x3Forward, conv3x3InputGrad on flipped weights): forward and input gradient against the
// float64 oracle and finite differences (describeDifferentiable). test/conv3x3.test.ts runs them for
// every variant the autotuner can pick; test/conv3x3_winograd.test.ts adds the tiling edges.

import type { DeviceTensor, GpuContext } from '../../src/gpu/index.js';
import { conv3x3Forward, conv3x3InputGrad, flipConv3x3Weights, type ConvVariant } from '../../src/kernels/index.js';
import { describeDifferentiable, shape4 } from './kernel-check.js';
import * as oracle from './oracle.js';
import { distinctArray, randomArray, size } from './random.js';

/** Runs fn with freshly uploaded constant tensors and releases them afterwards. */
export function withTemps(temps: DeviceTensor[], fn: (t: DeviceTensor[]) => DeviceTensor): DeviceTensor {
  const out = fn(temps);
  for (const t of temps) t.release();
  return out;
}

/**
 * conv3x3 with `variant` on input `shape` into `cout` channels, with a bias; with reluInput,
 * conv3x3(relu(x)) (the ReLU applied as x is loaded, its mask as dx is stored). The weights are
 * random with seed `seed + cout`, the bias `seed + 1`, the input `seed + 2`.
 */
export function describeConvVariantCase(
  gpu: () => GpuContext,
  variant: ConvVariant,
  shape: number[],
  cout: number,
  seed: number,
  reluInput = false,
): void {
  const s = shape4(shape);
  const [n, cin, h, w] = s;
  const weights = randomArray(cout * cin * 9, seed + cout);
  const bias = randomArray(cout, seed + 1);
  describeDifferentiable(gpu, {
    name: `${reluInput ? 'relu → ' : ''}conv3x3 ${variant.name} [${shape}]→${cout}`,
    inputShape: shape,
    outputShape: [n, cout, h, w],
    // Away from the ReLU's kink when there is one.
    input: reluInput ? distinctArray(size(shape), seed + 2, 0.05) : randomArray(size(shape), seed + 2),
    forward: (ctx, xt) =>
      withTemps([ctx.upload([cout, cin, 3, 3], weights), ctx.upload([cout], bias)], ([wt, bt]) =>
        conv3x3Forward(ctx, xt, wt!, bt, { variant, reluInput }),
      ),
    backward: (ctx, xt, dy) =>
      withTemps([ctx.upload([cout, cin, 3, 3], weights)], ([wt]) => {
        const flipped = flipConv3x3Weights(ctx, wt!);
        const dx = conv3x3InputGrad(ctx, dy, flipped, reluInput ? { variant, mask: xt } : { variant });
        flipped.release();
        return dx;
      }),
    oracle: (xs) => oracle.conv3x3(reluInput ? oracle.relu(xs) : xs, s, weights, cout, bias),
    oracleBackward: (xs, dy) =>
      reluInput
        ? oracle.reluGrad(xs, oracle.conv3x3Grads(oracle.relu(xs), s, weights, cout, dy).dx)
        : oracle.conv3x3Grads(xs, s, weights, cout, dy).dx,
  });
}
