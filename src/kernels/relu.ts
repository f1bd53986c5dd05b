// ReLU forward and backward (shaders/relu_forward.wgsl, shaders/relu_backward.wgsl).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { dispatchElementwiseChunks, label, requireSameShape } from './launch.js';

export function reluForward(ctx: GpuContext, x: DeviceTensor): DeviceTensor {
  const y = ctx.empty(x.shape, 'relu output');
  dispatchElementwiseChunks(ctx, 'relu_forward', label('relu_forward', { x }), x.size, (n) => ({ n }), [x, y]);
  return y;
}

/** dx = dy where the ReLU's input x > 0. */
export function reluBackward(ctx: GpuContext, x: DeviceTensor, dy: DeviceTensor): DeviceTensor {
  requireSameShape('relu_backward', ['x', 'dy'], x, dy);
  const dx = ctx.empty(x.shape, 'relu input gradient');
  dispatchElementwiseChunks(ctx, 'relu_backward', label('relu_backward', { x, dy }), x.size, (n) => ({ n }), [x, dy, dx]);
  return dx;
}
