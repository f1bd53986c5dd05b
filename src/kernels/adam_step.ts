// One Adam step that updates a parameter in place with its moment buffers (shaders/adam_step.wgsl).
// Elementwise: past one binding, aligned ranges of the four tensors a chunk at a time (band.ts).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { dispatchElementwiseChunks, label, requireSameShape } from './launch.js';

export interface AdamHyper {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** `step` counts from 1 (bias correction 1 - β^step). m and v start at zero. */
export function adamStep(
  ctx: GpuContext,
  state: { param: DeviceTensor; grad: DeviceTensor; m: DeviceTensor; v: DeviceTensor },
  step: number,
  { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 }: AdamHyper,
): void {
  const { param, grad, m, v } = state;
  requireSameShape('adam_step', ['param', 'grad'], param, grad);
  requireSameShape('adam_step', ['param', 'm'], param, m);
  requireSameShape('adam_step', ['param', 'v'], param, v);
  if (!Number.isInteger(step) || step < 1) throw new Error(`adam_step: step must be an integer >= 1, got ${step}`);
  const hyper = { lr, beta1, beta2, eps, bc1: 1 - beta1 ** step, bc2: 1 - beta2 ** step };
  dispatchElementwiseChunks(ctx, 'adam_step', label('adam_step', { param }), param.size, (n) => ({ n, ...hyper }), [grad, param, m, v]);
}
