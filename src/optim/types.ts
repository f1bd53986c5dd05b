// What every optimiser of the image is (Adam, L-BFGS) and what a plan asks of one. The job hands
// it an objective that records the loss and its gradient at the image as it is; the optimiser
// takes one step (one iteration: one evaluation, or several with a line search), and between
// steps hands out its state for a checkpoint or takes one back.

import type { DeviceTensor } from '../gpu/index.js';

/** L-BFGS's settings (see src/optim/lbfgs.ts). */
export interface LbfgsPlan {
  kind: 'lbfgs';
  /** Curvature pairs kept. */
  history: number;
  lineSearch: 'none' | 'strong-wolfe';
  /** End a scale when the loss or the step changes by less than this (off when absent). */
  toleranceChange?: number;
  /** End a scale when the gradient's largest component is at most this (off when absent). */
  toleranceGrad?: number;
}

export type OptimizerPlan = { kind: 'adam' } | LbfgsPlan;

/** What an optimiser knows of the scale it runs over: Adam's learning rate decays every lrDecayEvery steps. */
export interface ScaleSchedule {
  readonly lrDecayEvery: number;
}

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
  begin(image: DeviceTensor, scale: ScaleSchedule, resume?: { step: number; state: OptimizerState }): void;
  /** One step, using at most `budget` (>= 1) evaluations. */
  step(objective: Objective, budget: number): Promise<StepEnd>;
  /** The state between two steps (read back from the device). */
  state(): Promise<OptimizerState>;
  /** Ends the scale and frees its buffers. */
  end(): void;
}
