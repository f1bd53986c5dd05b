// Scaling, adding and accumulating (shaders/axpby.wgsl): y = a·x + b·y in place.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { dispatchElementwiseChunks, label, requireSameShape } from './launch.js';

/** y ← a·x + b·y (y is not read when b = 0). */
export function axpby(ctx: GpuContext, a: number, x: DeviceTensor, b: number, y: DeviceTensor): void {
  requireSameShape('axpby', ['x', 'y'], x, y);
  if (x.buffer === y.buffer) throw new Error('axpby: x and y must be different tensors');
  dispatchElementwiseChunks(ctx, 'axpby', label('axpby', { x, y }), x.size, (n) => ({ n, a, b }), [x, y]);
}

/** A new tensor a·x. */
export function scale(ctx: GpuContext, x: DeviceTensor, a: number): DeviceTensor {
  const y = ctx.empty(x.shape, 'scaled');
  axpby(ctx, a, x, 0, y);
  return y;
}

/** A new tensor x + y. */
export function add(ctx: GpuContext, x: DeviceTensor, y: DeviceTensor): DeviceTensor {
  requireSameShape('add', ['x', 'y'], x, y);
  const out = ctx.copy(y, 'sum');
  axpby(ctx, 1, x, 1, out);
  return out;
}

/** acc ← acc + x: gradient accumulation. */
export function accumulate(ctx: GpuContext, acc: DeviceTensor, x: DeviceTensor): void {
  axpby(ctx, 1, x, 1, acc);
}
