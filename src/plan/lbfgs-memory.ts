// What L-BFGS's vectors take (src/optim/lbfgs-history.ts's lbfgsVectors counts them): the log line,
// and the refusal of a history the device cannot hold.

import type { LbfgsPlan } from '../optim/types.js';
import { lbfgsVectors } from '../optim/lbfgs-history.js';
import type { Scale } from '../style/job-types.js';
import { OptionError } from '../util/errors.js';

/** What L-BFGS's vectors take at the largest scale. */
export function lbfgsMemory(plan: LbfgsPlan, scales: readonly Scale[]): { scale: Scale; historyBytes: number; workingBytes: number } {
  const scale = scales.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
  const vectorBytes = 3 * scale.width * scale.height * 4;
  const { history, working } = lbfgsVectors(plan);
  return { scale, historyBytes: history * vectorBytes, workingBytes: working * vectorBytes };
}

const mib = (bytes: number) => (bytes < 2 ** 30 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 2 ** 30).toFixed(1)} GiB`);

/** One line for the log: what the history and the working vectors take. */
export function describeLbfgsMemory(plan: LbfgsPlan, scales: readonly Scale[]): string {
  const { scale, historyBytes, workingBytes } = lbfgsMemory(plan, scales);
  const { working } = lbfgsVectors(plan);
  return (
    `L-BFGS: a history of ${plan.history} pairs takes ${mib(historyBytes)} of GPU memory at ${scale.width}×${scale.height} ` +
    `(2·${plan.history} vectors of 3×${scale.height}×${scale.width} floats), plus ${mib(workingBytes)} for ${working} working vectors`
  );
}

/**
 * Refuses a history the device cannot hold. WebGPU does not say how much memory a device has; the
 * one size it promises is maxBufferSize, the largest single buffer, so L-BFGS's vectors are held to it.
 */
export function checkLbfgsMemory(
  maxBufferSize: number,
  plan: LbfgsPlan,
  scales: readonly Scale[],
  budget?: { mib: number; fits: (history: number) => boolean },
): void {
  const { scale, historyBytes, workingBytes } = lbfgsMemory(plan, scales);
  if (historyBytes + workingBytes <= maxBufferSize) return;
  const vectorBytes = 3 * scale.width * scale.height * 4;
  const inBuffer = Math.floor((maxBufferSize / vectorBytes - lbfgsVectors(plan).working) / 2);
  // The advice must also fit the run's memory budget, or following it only meets the next refusal.
  const largest = budget ? largestFitting(Math.min(inBuffer, plan.history), budget.fits) : inBuffer;
  const within = budget && largest < inBuffer ? ` (the most that also fits the ${budget.mib} MiB GPU memory budget)` : '';
  const fix = largest >= 1 ? `use ${largest} or less${within}, or a smaller size` : 'use a smaller size';
  throw new OptionError(
    'lbfgsHistory',
    plan.history,
    `needs ${mib(historyBytes + workingBytes)} at ${scale.width}×${scale.height} (the history ${mib(historyBytes)}), more than this device's ` +
      `largest buffer (maxBufferSize, ${mib(maxBufferSize)}), the most GPU memory WebGPU promises: ${fix}`,
  );
}

/** The largest history from 1 to `most` that `fits` (fitting is monotone in the history); 0 if none. */
function largestFitting(most: number, fits: (history: number) => boolean): number {
  let [lo, hi] = [0, most + 1];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
