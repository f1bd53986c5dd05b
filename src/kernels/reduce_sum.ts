// Sums on the device (shaders/reduce_sum.wgsl): `sum` of a tensor, and the two-pass reduction the
// losses share (mse_forward, tv_forward write per-workgroup partials; reduce_sum adds them).

import type { DeviceTensor, GpuContext, ShaderName, ShaderParams } from '../gpu/index.js';
import { label } from './launch.js';

const MAX_REDUCE_GROUPS = 1024;
/**
 * Elements each invocation of the first pass sums at least (fewer, larger workgroups): the
 * workgroup tree's barriers are what a reduction costs on CPU adapters (lavapipe runs a
 * workgroup's invocations as coroutines switched at every barrier): with 4 a 512×512 Gram's MSE
 * took 14 ms on lavapipe (256 workgroups).
 */
const REDUCE_PER_INVOCATION = 64;

/** Workgroups of `wgSize` invocations the first pass of a sum over n values uses (the partial sums it writes). */
export function reduceGroups(n: number, wgSize: number): number {
  return Math.max(1, Math.min(MAX_REDUCE_GROUPS, Math.ceil(n / (wgSize * REDUCE_PER_INVOCATION))));
}

/**
 * Sums `element(i)` for i < params.n on the device and returns a one-value tensor holding
 * sum·params.scale. `kernel` includes lib/reduce; its bindings are `inputs` then the partials.
 * Two passes: up to 1024 workgroups write partial sums, then one workgroup adds them (reduce_sum).
 */
export function reduceToScalar<K extends ShaderName>(
  ctx: GpuContext,
  kernel: K,
  labelText: string,
  params: ShaderParams[K] & { n: number; scale: number },
  inputs: Array<GPUBuffer | GPUBufferBinding>,
): DeviceTensor {
  const { n, scale } = params;
  const [wgSize] = ctx.workgroupSize(kernel);
  const groups = reduceGroups(n, wgSize);
  const out = ctx.empty([1], labelText);
  const partials = groups === 1 ? out : ctx.empty([groups], `${labelText} partials`);
  const first = { ...params, scale: groups === 1 ? scale : 1 };
  ctx.dispatch({ kernel, label: labelText, params: first, buffers: [...inputs, partials.buffer], workgroups: [groups] });
  if (groups > 1) {
    ctx.dispatch({
      kernel: 'reduce_sum',
      label: `${labelText} final sum`,
      params: { n: groups, scale },
      buffers: [partials.buffer, out.buffer],
      workgroups: [1],
    });
    partials.release();
  }
  return out;
}

/** Sum of all elements of `x` times `scale`, as a one-value tensor. */
export function sum(ctx: GpuContext, x: DeviceTensor, scale = 1): DeviceTensor {
  return reduceToScalar(ctx, 'reduce_sum', label('sum', { x }), { n: x.size, scale }, [x.buffer]);
}
