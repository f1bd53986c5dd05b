// A style job's state between two steps: everything the optimiser needs to go on as if it had
// never stopped. Browser-safe; the Node edge adds identities of inputs and settings and writes it.

import { UserError } from '../util/errors.js';
import type { OptimizerKind, OptimizerState } from './optimizer.js';
import type { Scale } from './schedule.js';

export interface JobState {
  /** The scale in progress, 1-based. */
  scale: number;
  /** Evaluations of that scale already made (Adam: its steps). */
  step: number;
  /** Evaluations the whole run had made. */
  evaluations: number;
  width: number;
  height: number;
  /** The image in the seed's space, [1, 3, height, width]. */
  image: Float32Array;
  /** The optimiser's state (Adam: its moments m and v; L-BFGS: its history, last gradient and numbers). */
  optimizer: OptimizerState;
  /** The conv3x3 variants the run used (kernel|shape -> variant), so a resumed run computes alike. */
  tuning: Record<string, string>;
}

export interface CheckpointHooks {
  /** Hand out the state every this many evaluations of a scale (and when the run is aborted). */
  every: number;
  write: (state: JobState) => void | Promise<void>;
}

/** Refuses a state that this run's schedule and optimiser cannot go on from. */
export function checkResumable(state: JobState, scales: readonly Scale[], optimizer: OptimizerKind): void {
  const scale = scales[state.scale - 1];
  const where = `scale ${state.scale}, step ${state.step}`;
  if (!scale || state.step < 0 || state.step > scale.steps || !Number.isInteger(state.step)) {
    throw new UserError(
      `the checkpoint is at ${where}, which this run's schedule (${scales.length} scales of ${scales.map((x) => x.steps).join('/')} steps) does not have`,
    );
  }
  if (scale.width !== state.width || scale.height !== state.height) {
    throw new UserError(
      `the checkpoint's image is ${state.width}×${state.height} at ${where}, this run's scale ${state.scale} is ${scale.width}×${scale.height}`,
    );
  }
  if (state.optimizer.kind !== optimizer)
    throw new UserError(`the checkpoint was made with --optimizer ${state.optimizer.kind}, this run uses ${optimizer}`);
  const size = 3 * state.width * state.height;
  if ([state.image, ...Object.values(state.optimizer.vectors)].some((t) => t.length !== size))
    throw new UserError(`the checkpoint's tensors do not hold ${state.width}×${state.height} images`);
}
