// Which sizes, how many steps and which learning rates: the multi-scale pyramid (default) and the
// seed's two fixed passes (--preset seed).

import type { Scale } from '../style/job-types.js';

/**
 * `count` scales whose longest side doubles up to `size`, keeping the content's aspect ratio.
 * An image whose longest side is already `size` is not resampled at the last scale.
 */
export function pyramid(
  contentWidth: number,
  contentHeight: number,
  size: number,
  count: number,
  steps: number,
  lrDecayEvery: number,
): Scale[] {
  const longest = Math.max(contentWidth, contentHeight);
  return Array.from({ length: count }, (_, i) => {
    const side = Math.max(1, Math.round(size / 2 ** (count - 1 - i)));
    const f = side / longest;
    return {
      width: Math.max(1, Math.round(contentWidth * f)),
      height: Math.max(1, Math.round(contentHeight * f)),
      steps,
      lrDecayEvery,
    };
  });
}

/** The seed: 500 steps at 200×100 (decay every 200), then 300 at 560×320 (decay every 100). */
export function seedPreset(stepsScale = 1): Scale[] {
  return [
    { width: 200, height: 100, steps: Math.max(1, Math.round(500 * stepsScale)), lrDecayEvery: 200 },
    { width: 560, height: 320, steps: Math.max(1, Math.round(300 * stepsScale)), lrDecayEvery: 100 },
  ];
}
