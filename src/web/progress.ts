// The progress line under the bar: where the run is, its speed, and about how long is left; before
// the steps, the phase (tuning, targets).

import type { StyleProgress } from '../style/job.js';
import type { StylePhase } from '../style/job-types.js';
import { phaseEnds, phaseText } from '../style/phase-text.js';

/** A run's phase as the status line says it (the terminal's words; "…" while it lasts). */
export function phaseLine(p: StylePhase): string {
  return `${phaseText(p)}${phaseEnds(p) ? '' : '…'}`;
}

/**
 * "scale 1/2 (64×48) · step 12/100 · 0.29 s/step · about 25 s left · loss 1.234e+3". The time left
 * is the steps left at the mean of the last 5 steps' speed: a later, larger scale is slower, so it
 * is a lower bound while an earlier scale runs.
 */
export function progressLine(
  p: StyleProgress,
  history: readonly StyleProgress[],
  totalSteps: number,
  doneBefore: readonly number[],
): string {
  const recent = history.slice(-5);
  const perStep = recent.reduce((a, h) => a + h.stepSeconds, 0) / recent.length;
  const left = totalSteps - (doneBefore[p.scale - 1]! + p.step);
  const eta = left > 0 ? ` · about ${formatSeconds(left * perStep)} left` : '';
  return `scale ${p.scale}/${p.scales} (${p.width}×${p.height}) · step ${p.step}/${p.steps} · ${perStep.toFixed(2)} s/step${eta} · loss ${p.total.toPrecision(4)}`;
}

export function formatSeconds(s: number): string {
  return s < 90 ? `${Math.ceil(s)} s` : `${Math.round(s / 60)} min`;
}
