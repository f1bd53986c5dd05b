// Comparing device results with float64 references.

import { expect } from 'vitest';

/** max |actual - expected| / max |expected| (absolute when the reference is all zeros). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= maxDiff)) maxDiff = Number.isNaN(diff) ? Infinity : diff;
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  return maxRef > 0 ? maxDiff / maxRef : maxDiff;
}

/** Largest errors seen per check, printed at the end of the run for the closing note. */
export const worstErrors = new Map<string, number>();

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): number {
  const error = relativeError(actual, expected);
  worstErrors.set(what, Math.max(worstErrors.get(what) ?? 0, error));
  if (process.env.WGPU_STYLE_REPORT_ERRORS) console.log(`[error] ${what}: ${error.toExponential(2)}`);
  expect(error, `${what}: relative error ${error.toExponential(3)} exceeds ${tolerance}`).toBeLessThanOrEqual(tolerance);
  return error;
}
