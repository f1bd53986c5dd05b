// The Gram loss (Gatys et al. 2016; the seed's): the mean squared difference of the features'
// Gram matrices G = F·Fᵀ / (C·H·W).

import { ops, Tensor } from '../graph/index.js';
import type { StyleStatistic } from './style-statistics.js';

export const GRAM_STATISTIC: StyleStatistic = {
  of: (tape, features) => [ops.gram(tape, features).value],
  loss(tape, features, [gram], mask) {
    if (mask) throw new Error('gram: style masks are not built yet (part B)');
    return ops.mse(tape, ops.gram(tape, features), Tensor.leaf(gram!));
  },
};
