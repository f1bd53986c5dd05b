// The Wasserstein-2 style loss (crowsonkb/style-transfer-pytorch's StyleLossW2): each layer's
// features as a Gaussian, mean μ and covariance Σ = E[f·fᵀ] − μ·μᵀ + eps·I, compared by the squared
// W2 distance between Gaussians, per channel:
//   mean((μ − μs)²) + (tr Σs + tr Σ − 2·tr √(√Σs·Σ·√Σs)) / C.
// The statistics of a style image are raw moments (μ and E[f·fᵀ], linear in the image, so style
// images blend as a weighted sum); prepare derives Σs, √Σs (Newton–Schulz, kernels/sqrtm.ts) and
// tr Σs / C once. Over a region, each pixel counts by its mask weight w: E_w[g] = Σ_p w_p·g(f_p) /
// (P·mean w), the second moment as Gram(F ⊙ √w) (ops.maskScale) scaled to it.

import type { GpuContext } from '../gpu/index.js';
import { ops, Tensor, type Tape } from '../graph/index.js';
import { matmul, matrixTrace, sqrtmForward } from '../kernels/index.js';
import type { LayerMask, StyleStatistic, StyleTarget } from './statistic.js';

/** Added to both covariances' diagonals (crowsonkb's 1e-4): keeps √ and its gradient finite where features are degenerate. */
export const W2_EPS = 1e-4;

/** [μ [1, C], E[f·fᵀ] [1, C, C]] of features [1, C, H, W], over a region when masked. */
function rawMoments(tape: Tape, features: Tensor, mask?: LayerMask): [Tensor, Tensor] {
  const c = features.shape[1]!;
  const mean = ops.moments(tape, features, 1, mask);
  // ops.gram divides by C·H·W: times C/mean(w) gives E_w[f·fᵀ].
  const weighted = mask ? ops.maskScale(tape, features, mask.weights, true) : features;
  return [mean, ops.scale(tape, ops.gram(tape, weighted), c / (mask?.mean ?? 1))];
}

/** Σs, then [μs, √Σs, tr Σs / C] (the raw moments are released). */
function prepare(ctx: GpuContext, [mean, srm]: StyleTarget): StyleTarget {
  const c = mean!.shape[1]!;
  const cov = matmul(ctx, mean!, mean!, { transA: true, alpha: -1, add: { d: srm!, beta: 1 }, diag: W2_EPS });
  const root = sqrtmForward(ctx, cov);
  const traceTerm = matrixTrace(ctx, cov, 1 / c);
  for (const t of [srm!, cov]) t.release();
  return [mean!, root, traceTerm];
}

export const W2_STATISTIC: StyleStatistic = {
  of: (tape, features) => rawMoments(tape, features).map((t) => t.value),
  prepare,
  loss(tape, features, [styleMean, styleRoot, styleTrace], mask) {
    const c = features.shape[1]!;
    const [mean, srm] = rawMoments(tape, features, mask);
    const cov = ops.matmul(tape, mean, mean, { transA: true, alpha: -1, diag: W2_EPS }, { d: srm, beta: 1 });
    const root = Tensor.leaf(styleRoot!);
    const product = ops.matmul(tape, ops.matmul(tape, root, cov), root);
    return ops.weightedSum(tape, [
      [ops.mse(tape, mean, Tensor.leaf(styleMean!)), 1],
      [ops.trace(tape, cov, 1 / c, styleTrace), 1],
      [ops.traceSqrtm(tape, product, 1 / c), -2],
    ]);
  },
};
