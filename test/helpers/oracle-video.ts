// float64 references for the video kernels: the bilinear warp (sample point clamped to the image,
// a non-finite flow component read as 0) and its gradient wrt the image, the temporal loss, the
// long-term certainties and the certainty mix.
// Flows are [1, 2, H, W] (u then v planes); certainties [1, 1, H, W], broadcast over batch and channels.

import type { Shape4 } from './oracle.js';

type Arr = ArrayLike<number>;

/** The four taps (flat indices within a plane) and bilinear weights of output pixel (row, col). */
function taps(flow: Arr, h: number, w: number, row: number, col: number): Array<[number, number]> {
  // A component that is not finite counts as no motion (shaders/lib/warp_taps.wgsl).
  const move = (v: number) => (Number.isFinite(v) ? v : 0);
  const sx = Math.min(Math.max(col + move(flow[row * w + col]!), 0), w - 1);
  const sy = Math.min(Math.max(row + move(flow[h * w + row * w + col]!), 0), h - 1);
  const x0 = Math.min(Math.floor(sx), w - 1);
  const y0 = Math.min(Math.floor(sy), h - 1);
  const [x1, y1] = [Math.min(x0 + 1, w - 1), Math.min(y0 + 1, h - 1)];
  const [tx, ty] = [sx - x0, sy - y0];
  return [
    [y0 * w + x0, (1 - tx) * (1 - ty)],
    [y0 * w + x1, tx * (1 - ty)],
    [y1 * w + x0, (1 - tx) * ty],
    [y1 * w + x1, tx * ty],
  ];
}

/** out[n, c](x) = image[n, c](x + flow(x)), bilinear, the sample point clamped to the image. */
export function warp(image: Arr, [n, c, h, w]: Shape4, flow: Arr): Float64Array {
  const out = new Float64Array(n * c * h * w);
  for (let row = 0; row < h; row++)
    for (let col = 0; col < w; col++) {
      const t = taps(flow, h, w, row, col);
      for (let p = 0; p < n * c; p++) {
        const base = p * h * w;
        out[base + row * w + col] = t.reduce((s, [i, wt]) => s + wt * image[base + i]!, 0);
      }
    }
  return out;
}

/** d/d image of Σ dOut ⊙ warp(image, flow): each output's weights sent back to its taps. */
export function warpGrad([n, c, h, w]: Shape4, flow: Arr, dOut: Arr): Float64Array {
  const grad = new Float64Array(n * c * h * w);
  for (let row = 0; row < h; row++)
    for (let col = 0; col < w; col++) {
      const t = taps(flow, h, w, row, col);
      for (let p = 0; p < n * c; p++) {
        const base = p * h * w;
        for (const [i, wt] of t) grad[base + i]! += wt * dOut[base + row * w + col]!;
      }
    }
  return grad;
}

/** Σ c·(x − target)² / x.length, c broadcast over the leading dimensions (plane = H·W). */
export function temporalLoss(x: Arr, target: Arr, certainty: Arr): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += certainty[i % certainty.length]! * (x[i]! - target[i]!) ** 2;
  return sum / x.length;
}

export function temporalLossGrad(x: Arr, target: Arr, certainty: Arr, dLoss = 1): Float64Array {
  return Float64Array.from(x, (v, i) => ((2 * certainty[i % certainty.length]! * (v - target[i]!)) / x.length) * dLoss);
}

/** c_long_j = max(c_j − Σ_{k<j} c_k, 0), nearest frame first. */
export function longTermCertainty(certainties: readonly Arr[]): Float64Array[] {
  const sum = new Float64Array(certainties[0]?.length ?? 0);
  return certainties.map((c) => {
    const out = Float64Array.from(c, (v, i) => Math.max(v - sum[i]!, 0));
    for (let i = 0; i < sum.length; i++) sum[i]! += c[i]!;
    return out;
  });
}

/** c·warped + (1 − c)·content, c broadcast over the leading dimensions. */
export function certaintyMix(warped: Arr, content: Arr, certainty: Arr): Float64Array {
  return Float64Array.from(warped, (v, i) => {
    const c = certainty[i % certainty.length]!;
    return c * v + (1 - c) * content[i]!;
  });
}
