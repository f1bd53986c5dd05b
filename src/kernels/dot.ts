// Inner products on the device (shaders/dot.wgsl, then reduce_sum over the partials): as a new
// one-value tensor, or into a slot of a tensor of scalars that later kernels read.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { label, requireSameShape } from './launch.js';
import { reduceToScalar } from './reduce_sum.js';

/** x·y times `scale`, as a one-value tensor. */
export function dot(ctx: GpuContext, x: DeviceTensor, y: DeviceTensor, scale = 1): DeviceTensor {
  requireSameShape('dot', ['x', 'y'], x, y);
  return reduceToScalar(ctx, 'dot', label('dot', { x, y }), { n: x.size, scale }, [x.buffer, y.buffer]);
}

/** scalars[slot] ← x·y times `scale`, in order with the recorded work; nothing is read back. */
export function dotInto(ctx: GpuContext, x: DeviceTensor, y: DeviceTensor, scalars: DeviceTensor, slot: number, scale = 1): void {
  const value = dot(ctx, x, y, scale);
  ctx.copyInto(value, scalars, slot);
  value.release();
}
