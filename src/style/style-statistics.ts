// How a style layer is compared (--style-loss): each kind is a StyleStatistic, with the statistics
// it takes of a style image's features (raw moments, linear in the image, so several style images
// blend as their weighted sum), what it derives from them once per target set, and the term for
// the image's features against them, optionally over a region (a mask, --style-mask).
// Browser-safe.

import type { StyleStatistic } from './statistic.js';
import { GRAM_STATISTIC } from './stats-gram.js';
import { MEAN_STD_STATISTIC } from './stats-mean-std.js';
import { W2_STATISTIC } from './stats-w2.js';

export type { LayerMask, StyleStatistic, StyleTarget } from './statistic.js';

export type StyleLossKind = 'gram' | 'w2' | 'mean-std';

const STATISTICS: Record<StyleLossKind, StyleStatistic> = {
  gram: GRAM_STATISTIC,
  w2: W2_STATISTIC,
  'mean-std': MEAN_STD_STATISTIC,
};

export const styleStatistic = (kind: StyleLossKind = 'gram'): StyleStatistic => STATISTICS[kind];
