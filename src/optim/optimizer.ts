// The optimiser a plan asks for, and whether a saved state can be its state: the one place that
// knows every kind (src/optim/types.ts says what each one is).

import type { GpuContext } from '../gpu/index.js';
import { optionFlag } from '../util/option-flag.js';
import { Adam, adamStateProblem } from './adam.js';
import { lbfgsStateProblem } from './lbfgs-state.js';
import { Lbfgs } from './lbfgs.js';
import type { Optimizer, OptimizerPlan, OptimizerState } from './types.js';

/** The optimiser a plan asks for (Adam when it names none). */
export function createOptimizer(ctx: GpuContext, options: { lr: number; lrDecay: number; optimizer?: OptimizerPlan }): Optimizer {
  const o = options.optimizer;
  return o?.kind === 'lbfgs' ? new Lbfgs(ctx, { ...o, lr: options.lr }) : new Adam(ctx, options.lr, options.lrDecay);
}

/** Why a saved state cannot be the state of this plan's optimiser `step` evaluations into a scale (null when it can). */
export function optimizerStateProblem(state: OptimizerState, plan: OptimizerPlan | undefined, step: number): string | null {
  const kind = plan?.kind ?? 'adam';
  if (state.kind !== kind) return `it was made with ${optionFlag('optimizer')} ${state.kind}, this run uses ${kind}`;
  return plan?.kind === 'lbfgs' ? lbfgsStateProblem(state, plan, step) : adamStateProblem(state);
}
