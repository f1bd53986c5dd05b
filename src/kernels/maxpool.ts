// 2×2 stride-2 max-pool, forward and backward (shaders/maxpool_forward.wgsl, maxpool_backward.wgsl).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { pool2x2Backward, pool2x2Forward } from './launch.js';

export function maxPool2x2Forward(ctx: GpuContext, x: DeviceTensor): DeviceTensor {
  return pool2x2Forward(ctx, 'maxpool_forward', x);
}

/** Sends each dy to the input that won its window in the forward pass (x is the pool's input). */
export function maxPool2x2Backward(ctx: GpuContext, x: DeviceTensor, dy: DeviceTensor): DeviceTensor {
  return pool2x2Backward(ctx, 'maxpool_backward', x.shape, { x, dy }, 'max-pool input gradient');
}
