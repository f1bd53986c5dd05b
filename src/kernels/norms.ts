// ‖x‖₁ and ‖x‖∞ on the device (shaders/norms.wgsl): up to 1024 workgroups write partial pairs,
// then one workgroup combines them straight into two slots of a tensor of scalars.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { label } from './launch.js';

const MAX_GROUPS = 1024;

/** scalars[slot] ← ‖x‖₁ and scalars[slot + 1] ← ‖x‖∞, in order with the recorded work. */
export function normsInto(ctx: GpuContext, x: DeviceTensor, scalars: DeviceTensor, slot: number): void {
  if (slot + 2 > scalars.size) throw new Error(`norms: slots ${slot}, ${slot + 1} do not fit in ${scalars}`);
  const text = label('norms', { x });
  const [wgSize] = ctx.workgroupSize('norms');
  const groups = Math.max(1, Math.min(MAX_GROUPS, Math.ceil(x.size / (wgSize * 4))));
  if (groups === 1) {
    ctx.dispatch({
      kernel: 'norms',
      label: text,
      params: { n: x.size, pairs: 0, offset: slot },
      buffers: [x.buffer, scalars.buffer],
      workgroups: [1],
    });
    return;
  }
  const partials = ctx.empty([2 * groups], `${text} partials`);
  ctx.dispatch({
    kernel: 'norms',
    label: text,
    params: { n: x.size, pairs: 0, offset: 0 },
    buffers: [x.buffer, partials.buffer],
    workgroups: [groups],
  });
  ctx.dispatch({
    kernel: 'norms',
    label: `${text} combined`,
    params: { n: groups, pairs: 1, offset: slot },
    buffers: [partials.buffer, scalars.buffer],
    workgroups: [1],
  });
  partials.release();
}

/** [‖x‖₁, ‖x‖∞] as a new two-value tensor. */
export function norms(ctx: GpuContext, x: DeviceTensor): DeviceTensor {
  const out = ctx.empty([2], label('norms', { x }));
  normsInto(ctx, x, out, 0);
  return out;
}
