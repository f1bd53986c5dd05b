// What a style statistic is (--style-loss): the interface each kind implements (stats-gram.ts,
// stats-w2.ts, stats-mean-std.ts) and the region a term may be taken over. Apart from
// style-statistics.ts, which picks among the kinds, so that a kind's file need not import the file
// that imports it. Browser-safe.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import type { Tape, Tensor } from '../graph/index.js';

/** A style region at one layer: the mask at the features' size, and its mean weight (> 0). */
export interface LayerMask {
  /** [1, 1, h, w], values in [0, 1]: how much each pixel belongs to the region. */
  weights: DeviceTensor;
  /** The mean of `weights` (the region's share of the layer), read once when the mask is made. */
  mean: number;
}

/** The tensors a statistic keeps for one style layer (its order is the statistic's own). */
export type StyleTarget = DeviceTensor[];

export interface StyleStatistic {
  /**
   * The statistics of one style image's features at a layer (made on a tape without gradients;
   * the caller keeps and releases them). Raw moments, so that a blend of style images is the
   * weighted sum of their statistics.
   */
  of(tape: Tape, features: Tensor): StyleTarget;
  /** Once per target set, after blending: what the term needs derived from them (w2: the covariance's square root); takes ownership of `stats`. */
  prepare?(ctx: GpuContext, stats: StyleTarget): StyleTarget;
  /**
   * The term for the image's `features` against `target` (a scalar tensor with a gradient), over
   * the whole image, or over a region (weighted statistics: each pixel counts by its mask weight).
   */
  loss(tape: Tape, features: Tensor, target: StyleTarget, mask?: LayerMask): Tensor;
}
