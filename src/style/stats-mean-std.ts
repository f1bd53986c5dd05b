// Being built by part A (--style-loss mean-std); replaced by its implementation this session.

import type { StyleStatistic } from './style-statistics.js';

const missing = (): never => {
  throw new Error('--style-loss mean-std: being built (part A)');
};

export const MEAN_STD_STATISTIC: StyleStatistic = { of: missing, loss: missing };
