// Helpers every launcher shares: dispatch grids, shape checks, and the two-pass sum reduction.

import { formatShape, type DeviceTensor, type GpuContext, type Shape, type ShaderName, type ShaderParams } from '../gpu/index.js';

const MAX_REDUCE_GROUPS = 1024;

/**
 * Workgroups for `n` invocations of a kernel with a one-dimensional @workgroup_size (read from
 * its WGSL, specialised by `consts`), folded into y past the per-dimension cap (lib/grid).
 */
export function gridFor(ctx: GpuContext, n: number, kernel: ShaderName, consts?: Record<string, number>): [number, number] {
  const [wgSize, y, z] = ctx.workgroupSize(kernel, consts);
  if (y !== 1 || z !== 1) throw new Error(`gridFor: ${kernel} has a ${wgSize}×${y}×${z} workgroup; a flat grid needs a one-dimensional one`);
  const groups = Math.ceil(n / wgSize);
  const max = ctx.maxWorkgroupsPerDimension;
  if (groups <= max) return [groups, 1];
  return [max, Math.ceil(groups / max)];
}

/** One invocation per element of `n`, using a shader that includes lib/elementwise. */
export function dispatchElementwise<K extends ShaderName>(
  ctx: GpuContext,
  kernel: K,
  label: string,
  n: number,
  params: ShaderParams[K],
  buffers: GPUBuffer[],
): void {
  ctx.dispatch({ kernel, label, params, buffers, workgroups: gridFor(ctx, n, kernel) });
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
 * Sums `element(i)` for i < params.n on the device and returns a one-value tensor holding
 * sum·params.scale. `kernel` includes lib/reduce; its bindings are `inputs` then the partials.
 * Two passes: up to 1024 workgroups write partial sums, then one workgroup adds them (reduce_sum).
 */
export function reduceToScalar<K extends ShaderName>(
  ctx: GpuContext,
  kernel: K,
  labelText: string,
  params: ShaderParams[K] & { n: number; scale: number },
  inputs: GPUBuffer[],
): DeviceTensor {
  const { n, scale } = params;
  const [wgSize] = ctx.workgroupSize(kernel);
  const groups = Math.max(1, Math.min(MAX_REDUCE_GROUPS, Math.ceil(n / (wgSize * 4))));
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
