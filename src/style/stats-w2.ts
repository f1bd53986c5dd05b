// Being built by part A (--style-loss w2); replaced by its implementation this session.

import type { StyleStatistic } from './style-statistics.js';

const missing = (): never => {
  throw new Error('--style-loss w2: being built (part A)');
};

export const W2_STATISTIC: StyleStatistic = { of: missing, loss: missing };
