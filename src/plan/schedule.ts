// Which sizes, how many steps and which learning rates: the multi-scale pyramid (default) and the
// seed's two fixed passes (--preset seed).

export interface Scale {
  width: number;
  height: number;
  steps: number;
  /** The learning rate is multiplied by lrDecay every this many steps (restarting each scale). */
  lrDecayEvery: number;
}

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

/** lr at step t (1-based) of a scale. */
export function learningRate(lr: number, decay: number, decayEvery: number, step: number): number {
  return lr * decay ** Math.floor((step - 1) / decayEvery);
}

/** VGG pools before module `layer` halve the image; it must stay at least 1 px at that depth. */
export function minimumSide(deepestLayer: number): number {
  const pools = [4, 9, 18, 27, 36].filter((p) => p < deepestLayer).length;
  return 2 ** pools;
}
