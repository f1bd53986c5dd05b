// y ← b·y + c·(s[i] − s[j])·x with the scalars s on the device (shaders/axpy_indirect.wgsl): the
// vector updates of the L-BFGS two-loop recursion, whose coefficients are inner products that
// never leave the GPU.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { dispatchElementwise, label, requireSameShape } from './launch.js';

export interface IndirectCoefficient {
  /** Multiplies y (1 to update in place). */
  b: number;
  /** The coefficient of x is c·(s[i] − s[j]). */
  c: number;
  i: number;
  j: number;
}

export function axpyIndirect(ctx: GpuContext, scalars: DeviceTensor, x: DeviceTensor, y: DeviceTensor, k: IndirectCoefficient): void {
  requireSameShape('axpy_indirect', ['x', 'y'], x, y);
  if (x.buffer === y.buffer) throw new Error('axpy_indirect: x and y must be different tensors');
  for (const slot of [k.i, k.j])
    if (!Number.isInteger(slot) || slot < 0 || slot >= scalars.size) throw new Error(`axpy_indirect: slot ${slot} is not in ${scalars}`);
  const params = { n: x.size, b: k.b, c: k.c, i: k.i, j: k.j };
  dispatchElementwise(ctx, 'axpy_indirect', label('axpy_indirect', { x, y }), x.size, params, [scalars.buffer, x.buffer, y.buffer]);
}
