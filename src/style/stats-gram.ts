// The Gram loss (Gatys et al. 2016; the seed's): the mean squared difference of the features'
// Gram matrices G = F·Fᵀ / (C·H·W). Over a region (--style-mask, Gatys et al. 2017 §4's guided
// Gram), the Gram of the features weighted per pixel: Gram(F ⊙ √w) / mean(w) = Σ_p w_p f_p f_pᵀ /
// (C · Σ_p w_p), so an all-white mask gives the plain Gram exactly.

import { ops, Tensor } from '../graph/index.js';
import type { StyleStatistic } from './statistic.js';

export const GRAM_STATISTIC: StyleStatistic = {
  of: (tape, features) => [ops.gram(tape, features).value],
  loss(tape, features, [gram], mask) {
    if (!mask) return ops.mse(tape, ops.gram(tape, features), Tensor.leaf(gram!));
    const weighted = ops.gram(tape, ops.maskScale(tape, features, mask.weights, true));
    return ops.mse(tape, mask.mean === 1 ? weighted : ops.scale(tape, weighted, 1 / mask.mean), Tensor.leaf(gram!));
  },
};
