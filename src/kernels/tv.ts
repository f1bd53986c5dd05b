// Total variation 0.5·(mean|x[..,1:,:] - x[..,:-1,:]| + mean|x[..,:,1:] - x[..,:,:-1]|) of an NCHW
// tensor, and its gradient (shaders/tv_forward.wgsl + reduce_sum, shaders/tv_backward.wgsl).
// A direction with no neighbours (H = 1 or W = 1) contributes 0 instead of PyTorch's NaN.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { dispatchElementwise, label, requireRank, requireScalar } from './launch.js';
import { reduceToScalar } from './reduce_sum.js';

function weights(x: DeviceTensor) {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const horizontal = n * c * h * (w - 1);
  const vertical = n * c * (h - 1) * w;
  return { h, w, wx: horizontal > 0 ? 0.5 / horizontal : 0, wy: vertical > 0 ? 0.5 / vertical : 0 };
}

export function tvForward(ctx: GpuContext, x: DeviceTensor): DeviceTensor {
  requireRank('tv_forward', 'x', x, 4);
  const { h, w, wx, wy } = weights(x);
  const params = { n: x.size, scale: 1, height: h, width: w, wx, wy };
  return reduceToScalar(ctx, 'tv_forward', label('tv_forward', { x }), params, [x.buffer]);
}

export function tvBackward(ctx: GpuContext, x: DeviceTensor, dLoss: DeviceTensor): DeviceTensor {
  requireRank('tv_backward', 'x', x, 4);
  requireScalar('tv_backward', 'dLoss', dLoss);
  const { h, w, wx, wy } = weights(x);
  const grad = ctx.empty(x.shape, 'tv gradient');
  const params = { n: x.size, height: h, width: w, wx, wy };
  dispatchElementwise(ctx, 'tv_backward', label('tv_backward', { x }), x.size, params, [x.buffer, dLoss.buffer, grad.buffer]);
  return grad;
}
