// The shape every optimiser of the image has (Adam, L-BFGS). The job hands it an objective that
// records the loss and its gradient at the image as it is; the optimiser takes one step (one
// iteration: one evaluation, or several with a line search), and between steps hands out its
// state for a checkpoint or takes one back.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { Adam, adamStateProblem } from './adam.js';
import type { OptimizerPlan, StyleOptions } from '../style/job-types.js';
import { lbfgsStateProblem } from './lbfgs-state.js';
import { Lbfgs } from './lbfgs.js';
import type { Scale } from '../plan/schedule.js';

export type OptimizerKind = 'adam' | 'lbfgs';

/** One evaluation of the loss and its gradient, at the image as it was when it was recorded. */
export interface Evaluation {
  /** d loss / d image; the optimiser releases it. */
  readonly grad: DeviceTensor;
  /** Content, style, TV and total in one tensor; the job releases it. */
  readonly losses: DeviceTensor;
  /** The four losses, once an optimiser has read them (L-BFGS reads every one). */
  values: Float32Array | null;
}

export interface Objective {
  /** Records the loss and its gradient at the image as it is now (the style job's records at once, without waiting). */
  evaluate(): Evaluation | Promise<Evaluation>;
  /** True once the run must stop; an optimiser checks it between the evaluations of one step. */
  readonly stopping: boolean;
}

/**
 * How a step ended: null to go on; 'converged' when a tolerance is met (the scale is done);
 * 'aborted' when `stopping` was seen between two evaluations of the step (the image is back where
 * the step began, its evaluations count for nothing); 'diverged' when a loss was not finite.
 */
export type StepEnd = null | 'converged' | 'aborted' | 'diverged';

/** An optimiser's state between two steps: image-sized vectors and plain numbers. */
export interface OptimizerState {
  kind: OptimizerKind;
  vectors: Record<string, Float32Array>;
  numbers: Record<string, number | number[]>;
}

export interface Optimizer {
  readonly kind: OptimizerKind;
  /** Whether it reads every evaluation's losses (so the job knows each one without a read of its own). */
  readonly readsLosses: boolean;
  /** Why the last step that returned 'converged' ended the scale (which tolerance, with its numbers). */
  readonly ended?: string | null;
  /** Iterations made in the current scale. */
  readonly iteration: number;
  /** Starts a scale on `image`, which it changes in place: afresh, or from a state saved `step` evaluations into the scale. */
  begin(image: DeviceTensor, scale: Scale, resume?: { step: number; state: OptimizerState }): void;
  /** One step, using at most `budget` (>= 1) evaluations. */
  step(objective: Objective, budget: number): Promise<StepEnd>;
  /** The state between two steps (read back from the device). */
  state(): Promise<OptimizerState>;
  /** Ends the scale and frees its buffers. */
  end(): void;
}

/** The optimiser a plan asks for (Adam when it names none). */
export function createOptimizer(ctx: GpuContext, options: Pick<StyleOptions, 'lr' | 'lrDecay' | 'optimizer'>): Optimizer {
  const o = options.optimizer;
  return o?.kind === 'lbfgs' ? new Lbfgs(ctx, { ...o, lr: options.lr }) : new Adam(ctx, options.lr, options.lrDecay);
}

/** Why a saved state cannot be the state of this plan's optimiser `step` evaluations into a scale (null when it can). */
export function optimizerStateProblem(state: OptimizerState, plan: OptimizerPlan | undefined, step: number): string | null {
  const kind = plan?.kind ?? 'adam';
  if (state.kind !== kind) return `it was made with --optimizer ${state.kind}, this run uses ${kind}`;
  return plan?.kind === 'lbfgs' ? lbfgsStateProblem(state, plan, step) : adamStateProblem(state);
}
