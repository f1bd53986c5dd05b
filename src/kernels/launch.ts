// Helpers launchers share: dispatch grids, shape checks, and the passes of the two 2×2 pools.

import { formatShape, type DeviceTensor, type GpuContext, type Shape, type ShaderName, type ShaderParams } from '../gpu/index.js';

/**
 * Workgroups for `n` invocations of a kernel with a one-dimensional @workgroup_size (read from
 * its WGSL, specialised by `consts`), folded into y past the per-dimension cap (lib/grid).
 */
export function gridFor(ctx: GpuContext, n: number, kernel: ShaderName, consts?: Record<string, number>): [number, number] {
  const [wgSize, y, z] = ctx.workgroupSize(kernel, consts);
  if (y !== 1 || z !== 1)
    throw new Error(`gridFor: ${kernel} has a ${wgSize}×${y}×${z} workgroup; a flat grid needs a one-dimensional one`);
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
 * x [N, C, H, W] pooled 2×2 with stride 2, odd sizes floored (as shaders/lib/pool2x2): the output
 * shape, and the pool shaders' Params for `n` invocations.
 */
function pool2x2Geometry(kernel: string, x: DeviceTensor) {
  requireRank(kernel, 'x', x, 4);
  const [n, c, height, width] = x.shape as [number, number, number, number];
  const outH = Math.floor(height / 2);
  const outW = Math.floor(width / 2);
  const params = (n: number) => ({ n, height, width, out_h: outH, out_w: outW });
  return { params, outShape: [n, c, outH, outW] as const };
}

/** A 2×2 pool's forward pass: one invocation per output element. */
export function pool2x2Forward(ctx: GpuContext, kernel: 'maxpool_forward' | 'avgpool_forward', x: DeviceTensor): DeviceTensor {
  const g = pool2x2Geometry(kernel, x);
  const y = ctx.empty(g.outShape, `${kernel} output`);
  dispatchElementwise(ctx, kernel, label(kernel, { x }), y.size, g.params(y.size), [x.buffer, y.buffer]);
  return y;
}

/**
 * A 2×2 pool's backward pass, dx for the pool's input x: one invocation per element of x. `inputs`
 * are the shader's bindings before dx, by name (they include dy).
 */
export function pool2x2Backward(
  ctx: GpuContext,
  kernel: 'maxpool_backward' | 'avgpool_backward',
  x: DeviceTensor,
  dy: DeviceTensor,
  inputs: Record<string, DeviceTensor>,
  dxLabel: string,
): DeviceTensor {
  const g = pool2x2Geometry(kernel, x);
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== g.outShape[i])) {
    throw new Error(`${kernel}: dy must have shape [${g.outShape.join(',')}] for x [${x.shape.join(',')}], got [${dy.shape.join(',')}]`);
  }
  const dx = ctx.empty(x.shape, dxLabel);
  const buffers = [...Object.values(inputs).map((t) => t.buffer), dx.buffer];
  dispatchElementwise(ctx, kernel, label(kernel, inputs), x.size, g.params(x.size), buffers);
  return dx;
}
