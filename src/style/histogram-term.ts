// Risser et al. 2017's histogram loss (§4): at a layer, each channel's values matched to the style's
// distribution of that channel (histogram matching: the image's own CDF, then the style's quantile
// function; kernels/histogram.ts), the matched features R a constant target, and the term
// Σ (F − R)² / F.size (the mean over every value of the layer, as the content term's MSE).
// A style's target is its quantile table [C, HISTOGRAM_QUANTILES] per layer; several style images
// blend as the weighted mean of their quantile functions, the 1-D Wasserstein barycenter of their
// distributions, channel by channel. Browser-safe.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { ops, type Tape, type Tensor } from '../graph/index.js';
import { axpby, quantileTable, scale } from '../kernels/index.js';

/** The histogram target of one style image's features at a layer: [its quantile table] (kept by the caller). */
export function histogramTarget(tape: Tape, features: Tensor): DeviceTensor[] {
  return [quantileTable(tape.ctx, features.value)];
}

/** Several style images' targets at a layer, blended by `blend` (weights summing to 1); takes ownership. */
export function blendHistogramTargets(ctx: GpuContext, targets: DeviceTensor[][], blend: readonly number[]): DeviceTensor[] {
  const tables = targets.map(([table]) => table!);
  if (tables.length === 1) return [tables[0]!];
  const mean = scale(ctx, tables[0]!, blend[0]!);
  tables.forEach((table, i) => {
    if (i > 0) axpby(ctx, blend[i]!, table, 1, mean);
    table.release();
  });
  return [mean];
}

/** The term for the image's features against a layer's target (a scalar tensor with a gradient to the features only). */
export function histogramLoss(tape: Tape, features: Tensor, target: DeviceTensor[]): Tensor {
  return ops.mse(tape, features, ops.histogramMatch(tape, features, target[0]!));
}
