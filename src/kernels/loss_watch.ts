// The divergence watch (shaders/loss_watch.wgsl): the first step whose loss is not finite, kept on
// the device so that no step waits for a read-back to be checked.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';

/** A new record: [first step whose total loss was not finite (0: none), that loss]. */
export function lossWatch(ctx: GpuContext): DeviceTensor {
  return ctx.zeros([2], 'loss watch');
}

/** record ← (step, losses[3]) if losses[3] (the total) is not finite and the record is still empty. */
export function watchLoss(ctx: GpuContext, losses: DeviceTensor, record: DeviceTensor, step: number): void {
  if (losses.size < 4 || record.size !== 2) throw new Error(`watchLoss: losses of ${losses.size} values and a record of ${record.size}`);
  if (!Number.isInteger(step) || step < 1 || step > 2 ** 24)
    throw new Error(`watchLoss: step ${step} is not a whole number from 1 to 2^24 (a float holds it exactly)`);
  ctx.dispatch({
    kernel: 'loss_watch',
    label: 'loss_watch',
    params: { step },
    buffers: [losses.buffer, record.buffer],
    workgroups: [1, 1],
  });
}
