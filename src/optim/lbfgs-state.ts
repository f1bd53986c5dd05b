// What an L-BFGS state saved between two steps holds (src/optim/lbfgs.ts writes and reads it), the
// check that a state from a checkpoint has exactly that shape before any of it is used, and the
// words for the tolerance that ends a scale (torch's tests).

import { optionFlag } from '../util/option-flag.js';
import { quoteNames } from '../util/quote.js';
import type { LbfgsPlan, OptimizerState } from './types.js';

/** A pair is kept only when y·s exceeds this (torch's test): it keeps H positive definite. */
export const MIN_CURVATURE = 1e-10;

/** The numbers of the state: the iteration, the last loss, ‖g‖₁, the last step's length, H₀'s scale and each pair's y·s. */
export interface LbfgsNumbers {
  iteration: number;
  loss: number;
  gradNorm1: number;
  t: number;
  gamma: number;
  ys: number[];
}

const NUMBERS: ReadonlyArray<keyof LbfgsNumbers> = ['iteration', 'loss', 'gradNorm1', 't', 'gamma', 'ys'];

/**
 * Why `state` cannot be the state of this L-BFGS `step` evaluations into a scale (null when it
 * can): its numbers (names, types, ranges), its pairs (at most the history, named s0…, y0…) and its
 * other vectors (the last gradient once an iteration was made; the direction without a line search).
 */
export function lbfgsStateProblem(state: OptimizerState, plan: LbfgsPlan, step: number): string | null {
  const n = state.numbers as Partial<Record<string, unknown>>;
  const names = Object.keys(n);
  if (names.length !== NUMBERS.length || !NUMBERS.every((k) => k in n))
    return `its L-BFGS numbers should be ${NUMBERS.join(', ')}; it has ${quoteNames(names)}`;
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const { iteration, loss, gradNorm1, t, gamma, ys } = n;
  if (!finite(iteration) || !Number.isInteger(iteration) || iteration < 0 || iteration > step)
    return `its L-BFGS iteration should be a whole number from 0 to the step (${step})`;
  if (!finite(loss) || !finite(gradNorm1) || gradNorm1 < 0 || !finite(t) || t < 0 || !finite(gamma) || !(gamma > 0))
    return 'its L-BFGS loss, gradient norm, step length or γ is out of range';
  if (!Array.isArray(ys) || !ys.every((v) => finite(v) && v > MIN_CURVATURE))
    return `its L-BFGS y·s values should each be a number above ${MIN_CURVATURE}`;
  if (ys.length > plan.history || ys.length > iteration)
    return `it holds ${ys.length} L-BFGS pairs after ${iteration} iterations; this run keeps at most ${plan.history} (${optionFlag('lbfgsHistory')})`;
  const expected = ys.flatMap((_, k) => [`s${k}`, `y${k}`]);
  if (iteration > 0) expected.push('grad');
  if (iteration > 0 && plan.lineSearch === 'none') expected.push('direction');
  // The first step of a scale may end on its first evaluation (the scale's last): a gradient, no iteration yet.
  const optional = iteration === 0 && plan.lineSearch === 'strong-wolfe' ? ['grad'] : [];
  const got = Object.keys(state.vectors);
  const missing = expected.filter((k) => !got.includes(k));
  const extra = got.filter((k) => !expected.includes(k) && !optional.includes(k));
  if (missing.length > 0 || extra.length > 0)
    return `its L-BFGS vectors should be ${quoteNames(expected)}${optional.length ? ` (and perhaps grad)` : ''}; it has ${quoteNames(got)}`;
  return null;
}

const flag = { change: optionFlag('toleranceChange'), grad: optionFlag('toleranceGrad') };
const fmt = (x: number) => x.toPrecision(3);

/**
 * torch's tests after an evaluation, each on only when its tolerance is given: which one is met,
 * with its numbers, or null. `stepNormInf` and `change` are null where the step has none yet.
 */
export function toleranceMet(
  tolerances: Pick<LbfgsPlan, 'toleranceChange' | 'toleranceGrad'>,
  gradNormInf: number,
  stepNormInf: number | null,
  change: number | null,
): string | null {
  const { toleranceGrad: grad, toleranceChange: tolerance } = tolerances;
  if (grad !== undefined && gradNormInf <= grad) return `${flag.grad} ${grad}: the gradient's largest entry is ${fmt(gradNormInf)}`;
  if (tolerance === undefined) return null;
  if (stepNormInf !== null && stepNormInf <= tolerance)
    return stepNormInf === 0
      ? `${flag.change} ${tolerance}: the line search found no step that lowers the loss`
      : `${flag.change} ${tolerance}: the last step moved no value more than ${fmt(stepNormInf)}`;
  if (change !== null && change < tolerance) return `${flag.change} ${tolerance}: the loss changed by ${fmt(change)}`;
  return null;
}

/** Why a scale ends where the next direction does not go down the loss by more than the tolerance (torch's test). */
export const noDescent = (tolerance: number, gtd: number): string =>
  `${flag.change} ${tolerance}: the loss's slope along the next direction is ${fmt(gtd)}, not below -${tolerance}`;
