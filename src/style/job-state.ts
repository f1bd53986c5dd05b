// A style job's state between two steps: everything the optimiser needs to go on as if it had
// never stopped. Browser-safe; the Node edge adds identities of inputs and settings and writes it.

import { UserError } from '../util/errors.js';
import type { AverageState } from './average.js';
import { optimizerStateProblem } from '../optim/optimizer.js';
import type { OptimizerPlan, OptimizerState } from '../optim/types.js';

export interface JobState {
  /** The scale in progress, 1-based. */
  scale: number;
  /** Evaluations of that scale already made (Adam: its steps). */
  step: number;
  /** Evaluations the whole run had made. */
  evaluations: number;
  width: number;
  height: number;
  /** The image in the normalised space, [1, 3, height, width]. */
  image: Float32Array;
  /** The optimiser's state (Adam: its moments m and v; L-BFGS: its history, last gradient and numbers). */
  optimizer: OptimizerState;
  /** The conv3x3 variants the run used (kernel|shape -> variant), so a resumed run computes alike. */
  tuning: Record<string, string>;
  /** With --average: the scale's moving average (its uncorrected sum, [1, 3, height, width], and updates). */
  average?: AverageState;
}

export interface CheckpointHooks {
  /** Hand out the state every this many evaluations of a scale (and when the run is aborted). */
  every: number;
  write: (state: JobState) => void | Promise<void>;
}

/**
 * Refuses a state that this run's schedule and optimiser cannot go on from: a place the schedule
 * lacks, tensors of another size, or an optimiser state that does not fit the optimiser's schema.
 * `source` names the checkpoint in the message.
 */
export function checkResumable(
  state: JobState,
  scales: ReadonlyArray<{ width: number; height: number; steps: number }>,
  optimizer: OptimizerPlan | undefined,
  source = 'the checkpoint',
): void {
  const refuse = (why: string): never => {
    throw new UserError(`${source}: ${why}; start the run again without --resume`);
  };
  const scale = scales[state.scale - 1];
  const where = `scale ${state.scale}, step ${state.step}`;
  if (!scale || state.step < 0 || state.step > scale.steps || !Number.isInteger(state.step))
    refuse(
      `it is at ${where}, which this run's schedule (${scales.length} ${scales.length === 1 ? 'scale' : 'scales'} of ${scales.map((x) => x.steps).join('/')} steps) does not have`,
    );
  if (!(state.evaluations >= state.step))
    refuse(`it counts ${state.evaluations} evaluations in all, fewer than the ${state.step} of its scale`);
  if (scale!.width !== state.width || scale!.height !== state.height)
    refuse(`its image is ${state.width}×${state.height} at ${where}, this run's scale ${state.scale} is ${scale!.width}×${scale!.height}`);
  const size = 3 * state.width * state.height;
  if (
    [state.image, ...Object.values(state.optimizer.vectors), ...(state.average ? [state.average.image] : [])].some((t) => t.length !== size)
  )
    refuse(`its tensors do not hold ${state.width}×${state.height} images`);
  const problem = optimizerStateProblem(state.optimizer, optimizer, state.step);
  if (problem) refuse(problem);
}
