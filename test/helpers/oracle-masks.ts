// Float64 oracles of the style-mask kernels (src/kernels/mask_scale.ts, mask_luma.ts) and of the
// masked Gram they make (src/style/stats-gram.ts), and of --average's moving average.

import type { Shape4 } from './oracle.js';

type Arr = ArrayLike<number>;

/** x ⊙ m(w) per pixel, w [1, 1, h, w] broadcast over batch and channels; m = √ with `root`. */
export function maskScale(x: Arr, weights: Arr, [n, c, h, w]: Shape4, root: boolean): Float64Array {
  const plane = h * w;
  return Float64Array.from({ length: n * c * plane }, (_, i) => x[i]! * (root ? Math.sqrt(weights[i % plane]!) : weights[i % plane]!));
}

/** Σ_p w_p f_p f_pᵀ / (C · Σ_p w_p) per batch item: the Gram of a region. */
export function maskedGram(x: Arr, weights: Arr, [n, c, h, w]: Shape4): Float64Array {
  const plane = h * w;
  let total = 0;
  for (let p = 0; p < plane; p++) total += weights[p]!;
  const g = new Float64Array(n * c * c);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < c; i++)
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let p = 0; p < plane; p++) s += weights[p]! * x[(b * c + i) * plane + p]! * x[(b * c + j) * plane + p]!;
        g[(b * c + i) * c + j] = s / (c * total);
      }
  return g;
}

/** RGBA bytes -> luma (0.299, 0.587, 0.114) × alpha, each in 0..1. */
export function maskLuma(data: Uint8Array): Float64Array {
  return Float64Array.from({ length: data.length / 4 }, (_, i) => {
    const [r, g, b, a] = [0, 1, 2, 3].map((k) => data[4 * i + k]! / 255) as [number, number, number, number];
    return (0.299 * r + 0.587 * g + 0.114 * b) * a;
  });
}

/**
 * crowsonkb's EMA of the iterates x_0 … x_k: avg ← d·avg + (1 − d)·x from avg = 0, read as
 * avg / (1 − d^t) after t updates.
 */
export function movingAverage(iterates: readonly Arr[], decay: number): Float64Array {
  const avg = new Float64Array(iterates[0]!.length);
  for (const x of iterates) for (let i = 0; i < avg.length; i++) avg[i] = decay * avg[i]! + (1 - decay) * x[i]!;
  const correction = 1 - decay ** iterates.length;
  return avg.map((v) => v / correction);
}
