// 2×2 stride-2 average pool, forward and backward (shaders/avgpool_forward.wgsl, avgpool_backward.wgsl).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { pool2x2Backward, pool2x2Forward } from './launch.js';

export function avgPool2x2Forward(ctx: GpuContext, x: DeviceTensor): DeviceTensor {
  return pool2x2Forward(ctx, 'avgpool_forward', x);
}

/** Spreads each dy evenly over its window (x is the pool's input; only its shape is used). */
export function avgPool2x2Backward(ctx: GpuContext, x: DeviceTensor, dy: DeviceTensor): DeviceTensor {
  return pool2x2Backward(ctx, 'avgpool_backward', x.shape, { dy }, 'avg-pool input gradient');
}
