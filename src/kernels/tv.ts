// Total variation 0.5·(mean|x[..,1:,:] - x[..,:-1,:]| + mean|x[..,:,1:] - x[..,:,:-1]|) of an NCHW
// tensor, and its gradient (shaders/tv_forward.wgsl + reduce_sum, shaders/tv_backward.wgsl).
// A direction with no neighbours (H = 1 or W = 1) contributes 0 instead of PyTorch's NaN.
// Past one binding (band.ts), both run on bands of rows with the whole tensor's weights: the
// forward adds each band's sum and, for each edge between two bands, the sum of its two rows with
// wx = 0 (the vertical differences across it); the backward reads one halo row above and below.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { accumulate } from './axpby.js';
import { fitsBinding, gatherRows, planRowBands, rowBanded } from './band.js';
import { dispatchElementwise, label, requireRank, requireScalar } from './launch.js';
import { reduceToScalar } from './reduce_sum.js';

/** The weights of the horizontal and vertical differences: 0.5 / their number in the whole tensor. */
export interface TvWeights {
  wx: number;
  wy: number;
}

export interface TvOptions {
  /** Internal (banding): the weights of the whole tensor x is a band of rows of. */
  weights?: TvWeights;
}

/** The whole tensor's weights (a band's own would count its own differences). */
export function tvWeights(x: DeviceTensor): TvWeights {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const horizontal = n * c * h * (w - 1);
  const vertical = n * c * (h - 1) * w;
  return { wx: horizontal > 0 ? 0.5 / horizontal : 0, wy: vertical > 0 ? 0.5 / vertical : 0 };
}

export function tvForward(ctx: GpuContext, x: DeviceTensor, options: TvOptions = {}): DeviceTensor {
  requireRank('tv_forward', 'x', x, 4);
  const { wx, wy } = options.weights ?? tvWeights(x);
  const [, , h, w] = x.shape as [number, number, number, number];
  if (!fitsBinding(ctx, x)) return tvForwardBanded(ctx, x, { wx, wy });
  const params = { n: x.size, scale: 1, height: h, width: w, wx, wy };
  return reduceToScalar(ctx, 'tv_forward', label('tv_forward', { x }), params, [x.buffer]);
}

/**
 * The sum over bands of rows, plus the vertical differences across each edge between two bands
 * (rows r − 1 and r, with wx = 0). Sums reassociated: equal to the unbanded within f32 rounding.
 */
function tvForwardBanded(ctx: GpuContext, x: DeviceTensor, whole: TvWeights): DeviceTensor {
  // Bands leave room for the 2-row tensor of an edge (sized as a halo row above and below).
  const bands = planRowBands(ctx, 'tv_forward', x.shape[2]!, [{ t: x, halo: 1 }]);
  const parts: DeviceTensor[] = [];
  const sumRows = (start: number, end: number, w: TvWeights) => {
    const rows = gatherRows(ctx, x, start, end, 'tv band input');
    parts.push(tvForward(ctx, rows, { weights: w }));
    rows.release();
  };
  for (const band of bands) {
    sumRows(band.r0, band.r1, whole);
    if (band.r0 > 0) sumRows(band.r0 - 1, band.r0 + 1, { wx: 0, wy: whole.wy });
  }
  const [total, ...rest] = parts;
  for (const part of rest) {
    accumulate(ctx, total!, part);
    part.release();
  }
  return total!;
}

export function tvBackward(ctx: GpuContext, x: DeviceTensor, dLoss: DeviceTensor, options: TvOptions = {}): DeviceTensor {
  requireRank('tv_backward', 'x', x, 4);
  requireScalar('tv_backward', 'dLoss', dLoss);
  const { wx, wy } = options.weights ?? tvWeights(x);
  const [, , h, w] = x.shape as [number, number, number, number];
  if (!fitsBinding(ctx, x)) {
    // Each band's rows with one halo row above and below (their neighbours); the halo rows' own gradients are dropped.
    return rowBanded(ctx, {
      kernel: 'tv_backward',
      domainRows: h,
      inputs: [{ t: x, halo: 1 }],
      output: { t: x.shape },
      name: 'tv gradient',
      run: ([xb], band) => ({ y: tvBackward(ctx, xb!, dLoss, { weights: { wx, wy } }), offset: band.r0 - band.rows[0]![0] }),
    });
  }
  const grad = ctx.empty(x.shape, 'tv gradient');
  const params = { n: x.size, height: h, width: w, wx, wy };
  dispatchElementwise(ctx, 'tv_backward', label('tv_backward', { x }), x.size, params, [x.buffer, dLoss.buffer, grad.buffer]);
  return grad;
}
