// ReLU forward and backward (shaders/relu_forward.wgsl, shaders/relu_backward.wgsl).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { dispatchElementwise, label, requireSameShape } from './launch.js';

export function reluForward(ctx: GpuContext, x: DeviceTensor): DeviceTensor {
  const y = ctx.empty(x.shape, 'relu output');
  dispatchElementwise(ctx, 'relu_forward', label('relu_forward', { x }), x.size, { n: x.size }, [x.buffer, y.buffer]);
  return y;
}

/** dx = dy where the ReLU's input x > 0. */
export function reluBackward(ctx: GpuContext, x: DeviceTensor, dy: DeviceTensor): DeviceTensor {
  requireSameShape('relu_backward', ['x', 'dy'], x, dy);
  const dx = ctx.empty(x.shape, 'relu input gradient');
  dispatchElementwise(ctx, 'relu_backward', label('relu_backward', { x, dy }), x.size, { n: x.size }, [x.buffer, dy.buffer, dx.buffer]);
  return dx;
}
