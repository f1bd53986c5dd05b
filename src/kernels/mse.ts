// Mean squared error mean((a - b)²) as a one-value tensor, and its gradient
// (shaders/mse_forward.wgsl + reduce_sum, shaders/mse_backward.wgsl).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { dispatchElementwise, label, requireSameShape, requireScalar } from './launch.js';
import { reduceToScalar } from './reduce_sum.js';

export function mseForward(ctx: GpuContext, a: DeviceTensor, b: DeviceTensor): DeviceTensor {
  requireSameShape('mse_forward', ['a', 'b'], a, b);
  return reduceToScalar(ctx, 'mse_forward', label('mse_forward', { a, b }), { n: a.size, scale: 1 / a.size }, [a.buffer, b.buffer]);
}

/** d loss / d a (or d b with wrt = 'b') times the upstream gradient dLoss (a one-value tensor). */
export function mseBackward(ctx: GpuContext, a: DeviceTensor, b: DeviceTensor, dLoss: DeviceTensor, wrt: 'a' | 'b' = 'a'): DeviceTensor {
  requireSameShape('mse_backward', ['a', 'b'], a, b);
  requireScalar('mse_backward', 'dLoss', dLoss);
  const grad = ctx.empty(a.shape, `mse gradient wrt ${wrt}`);
  const coefficient = (wrt === 'a' ? 2 : -2) / a.size;
  dispatchElementwise(ctx, 'mse_backward', label('mse_backward', { a, b }), a.size, { n: a.size, coefficient }, [
    a.buffer,
    b.buffer,
    dLoss.buffer,
    grad.buffer,
  ]);
  return grad;
}
