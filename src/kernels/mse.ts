// Mean squared error mean((a - b)²) as a one-value tensor, and its gradient
// (shaders/mse_forward.wgsl + reduce_sum, shaders/mse_backward.wgsl).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { accumulate } from './axpby.js';
import { fitsBinding, flatChunks } from './band.js';
import { dispatchElementwiseChunks, label, requireSameShape, requireScalar } from './launch.js';
import { reduceToScalar } from './reduce_sum.js';

export function mseForward(ctx: GpuContext, a: DeviceTensor, b: DeviceTensor): DeviceTensor {
  requireSameShape('mse_forward', ['a', 'b'], a, b);
  const text = label('mse_forward', { a, b });
  if (fitsBinding(ctx, a)) return reduceToScalar(ctx, 'mse_forward', text, { n: a.size, scale: 1 / a.size }, [a.buffer, b.buffer]);
  // Past one binding: each chunk's sum over the whole's count, added up.
  let total: DeviceTensor | null = null;
  for (const { offset, count } of flatChunks(ctx, a.size)) {
    const inputs = [ctx.range(a, offset, count), ctx.range(b, offset, count)];
    const part = reduceToScalar(ctx, 'mse_forward', `${text} [${offset}, ${offset + count})`, { n: count, scale: 1 / a.size }, inputs);
    if (!total) total = part;
    else {
      accumulate(ctx, total, part);
      part.release();
    }
  }
  return total!;
}

/** d loss / d a (or d b with wrt = 'b') times the upstream gradient dLoss (a one-value tensor). */
export function mseBackward(ctx: GpuContext, a: DeviceTensor, b: DeviceTensor, dLoss: DeviceTensor, wrt: 'a' | 'b' = 'a'): DeviceTensor {
  requireSameShape('mse_backward', ['a', 'b'], a, b);
  requireScalar('mse_backward', 'dLoss', dLoss);
  const grad = ctx.empty(a.shape, `mse gradient wrt ${wrt}`);
  const coefficient = (wrt === 'a' ? 2 : -2) / a.size;
  dispatchElementwiseChunks(ctx, 'mse_backward', label('mse_backward', { a, b }), a.size, (n) => ({ n, coefficient }), [a, b, dLoss, grad]);
  return grad;
}
