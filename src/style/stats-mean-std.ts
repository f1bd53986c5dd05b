// Per-channel mean and standard deviation (AdaIN's statistics, Huang & Belongie 2017):
//   mean((μ − μs)²) + mean((σ − σs)²), each mean over the C channels,
// with σ = sqrt(E[f²] − μ² + eps). A style image's statistics are the raw moments [μ, E[f²]]
// (linear, so style images blend as a weighted sum); prepare turns them into [μs, σs] once. Over a
// region each pixel counts by its mask weight (kernels/moments.ts).

import { ops, Tensor } from '../graph/index.js';
import { momentsStd } from '../kernels/index.js';
import type { StyleStatistic } from './statistic.js';

/** Added to the variance (AdaIN's 1e-5): σ's gradient stays finite for a constant channel. */
export const MEAN_STD_EPS = 1e-5;

export const MEAN_STD_STATISTIC: StyleStatistic = {
  of: (tape, features) => [ops.moments(tape, features, 2).value],
  prepare(ctx, [moments]) {
    const target = momentsStd(ctx, moments!, MEAN_STD_EPS);
    moments!.release();
    return [target];
  },
  loss(tape, features, [target], mask) {
    const stats = ops.momentsStd(tape, ops.moments(tape, features, 2, mask), MEAN_STD_EPS);
    // mse over the 2·C values is half the sum of the two means.
    return ops.scale(tape, ops.mse(tape, stats, Tensor.leaf(target!)), 2);
  },
};
