// Helpers every launcher shares: dispatch grids, shape checks, and the two-pass sum reduction.

import { formatShape, packParams, type DeviceTensor, type GpuContext, type Shape } from '../gpu/index.js';

export const ELEMENTWISE_WG = 256;
const REDUCE_WG = 256;
const MAX_REDUCE_GROUPS = 1024;

/** Workgroups for `n` invocations in groups of `wgSize`, folded into y past the per-dimension cap. */
export function gridFor(ctx: GpuContext, n: number, wgSize = ELEMENTWISE_WG): [number, number] {
  const groups = Math.ceil(n / wgSize);
  const max = ctx.maxWorkgroupsPerDimension;
  if (groups <= max) return [groups, 1];
  return [max, Math.ceil(groups / max)];
}

/** One invocation per element of `n`, using a shader that includes lib/grid. */
export function dispatchElementwise(
  ctx: GpuContext,
  kernel: string,
  label: string,
  n: number,
  params: Uint8Array,
  buffers: GPUBuffer[],
): void {
  ctx.dispatch({ kernel, label, params, buffers, workgroups: gridFor(ctx, n) });
}

export function label(kernel: string, tensors: Record<string, DeviceTensor | Shape>): string {
  const parts = Object.entries(tensors).map(([name, t]) => `${name}${formatShape('shape' in t ? t.shape : t)}`);
  return `${kernel}(${parts.join(' ')})`;
}

export function requireRank(kernel: string, name: string, t: DeviceTensor, rank: number): void {
  if (t.shape.length !== rank) {
    throw new Error(`${kernel}: ${name} must have ${rank} dimensions (NCHW), got ${formatShape(t.shape)}`);
  }
}

export function requireSameShape(kernel: string, names: [string, string], a: DeviceTensor | Shape, b: DeviceTensor | Shape): void {
  const sa = 'shape' in a ? a.shape : a;
  const sb = 'shape' in b ? b.shape : b;
  if (sa.length !== sb.length || sa.some((d, i) => d !== sb[i])) {
    throw new Error(`${kernel}: ${names[0]} ${formatShape(sa)} and ${names[1]} ${formatShape(sb)} must have the same shape`);
  }
}

export function requireScalar(kernel: string, name: string, t: DeviceTensor): void {
  if (t.size !== 1) throw new Error(`${kernel}: ${name} must hold one value (the upstream gradient), got ${formatShape(t.shape)}`);
}

/**
 * Sums `element(i)` for i < n on the device and returns a one-value tensor holding sum·scale.
 * `kernel` includes lib/reduce; its bindings are `inputs` then the partials. Two passes: up to
 * 1024 workgroups write partial sums, then one workgroup adds them (reduce_sum).
 */
export function reduceToScalar(
  ctx: GpuContext,
  kernel: string,
  labelText: string,
  n: number,
  scale: number,
  extraParams: ReadonlyArray<readonly ['u32' | 'f32', number]>,
  inputs: GPUBuffer[],
): DeviceTensor {
  const groups = Math.max(1, Math.min(MAX_REDUCE_GROUPS, Math.ceil(n / (REDUCE_WG * 4))));
  const out = ctx.empty([1], labelText);
  const firstScale = groups === 1 ? scale : 1;
  const partials = groups === 1 ? out : ctx.empty([groups], `${labelText} partials`);
  const params = packParams([['u32', n], ['f32', firstScale], ...extraParams]);
  ctx.dispatch({ kernel, label: labelText, params, buffers: [...inputs, partials.buffer], workgroups: [groups] });
  if (groups > 1) {
    ctx.dispatch({
      kernel: 'reduce_sum',
      label: `${labelText} final sum`,
      params: packParams([['u32', groups], ['f32', scale]]),
      buffers: [partials.buffer, out.buffer],
      workgroups: [1],
    });
    partials.release();
  }
  return out;
}

/** Sum of all elements of `x` times `scale`, as a one-value tensor. */
export function sum(ctx: GpuContext, x: DeviceTensor, scale = 1): DeviceTensor {
  return reduceToScalar(ctx, 'reduce_sum', label('sum', { x }), x.size, scale, [], [x.buffer]);
}
