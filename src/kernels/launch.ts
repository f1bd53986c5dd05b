// Helpers launchers share: dispatch grids, shape checks, and the passes of the two 2×2 pools.

import { fitsBinding, flatChunks, rowBanded } from './band.js';
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

/**
 * dispatchElementwise over `tensors` of `n` elements that may be larger than one binding: one
 * dispatch per aligned chunk that fits (band.ts flatChunks), each tensor of n elements bound as
 * that chunk's range and any other (a one-value upstream gradient) whole. `params(count)` are
 * the Params for a chunk of `count` elements.
 */
export function dispatchElementwiseChunks<K extends ShaderName>(
  ctx: GpuContext,
  kernel: K,
  labelText: string,
  n: number,
  params: (count: number) => ShaderParams[K],
  tensors: readonly DeviceTensor[],
): void {
  if (fitsBinding(ctx, ...tensors)) {
    dispatchElementwise(
      ctx,
      kernel,
      labelText,
      n,
      params(n),
      tensors.map((t) => t.buffer),
    );
    return;
  }
  for (const { offset, count } of flatChunks(ctx, n)) {
    const buffers = tensors.map((t) => (t.size === n ? ctx.range(t, offset, count) : t.buffer));
    ctx.dispatch({
      kernel,
      label: `${labelText} [${offset}, ${offset + count})`,
      params: params(count),
      buffers,
      workgroups: gridFor(ctx, count, kernel),
    });
  }
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
function pool2x2Geometry(kernel: string, shape: Shape) {
  if (shape.length !== 4) throw new Error(`${kernel}: x must have 4 dimensions (NCHW), got ${formatShape(shape)}`);
  const [n, c, height, width] = shape as [number, number, number, number];
  const outH = Math.floor(height / 2);
  const outW = Math.floor(width / 2);
  const params = (n: number) => ({ n, height, width, out_h: outH, out_w: outW });
  return { params, outShape: [n, c, outH, outW] as const };
}

/** A 2×2 pool's forward pass: one invocation per output element (band by band past one binding). */
export function pool2x2Forward(ctx: GpuContext, kernel: 'maxpool_forward' | 'avgpool_forward', x: DeviceTensor): DeviceTensor {
  const g = pool2x2Geometry(kernel, x.shape);
  if (!fitsBinding(ctx, x, g.outShape) && g.outShape[2] > 0) {
    return rowBanded(ctx, {
      kernel,
      domainRows: g.outShape[2],
      inputs: [{ t: x, stride: 2 }],
      output: { t: g.outShape },
      name: `${kernel} output`,
      run: ([xb]) => ({ y: pool2x2Forward(ctx, kernel, xb!), offset: 0 }),
    });
  }
  const y = ctx.empty(g.outShape, `${kernel} output`);
  dispatchElementwise(ctx, kernel, label(kernel, { x }), y.size, g.params(y.size), [x.buffer, y.buffer]);
  return y;
}

/**
 * A 2×2 pool's backward pass, dx for the pool's input (of shape `xShape`): one invocation per
 * element of x. `inputs` are the shader's bindings before dx, by name: dy, and x where the
 * kernel reads it (max-pool).
 */
export function pool2x2Backward(
  ctx: GpuContext,
  kernel: 'maxpool_backward' | 'avgpool_backward',
  xShape: Shape,
  inputs: { x?: DeviceTensor; dy: DeviceTensor },
  dxLabel: string,
): DeviceTensor {
  const g = pool2x2Geometry(kernel, xShape);
  const dy = inputs.dy;
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== g.outShape[i])) {
    throw new Error(`${kernel}: dy must have shape [${g.outShape.join(',')}] for x [${xShape.join(',')}], got [${dy.shape.join(',')}]`);
  }
  if (!fitsBinding(ctx, xShape, dy) && g.outShape[2] > 0) {
    const x = inputs.x;
    return rowBanded(ctx, {
      kernel,
      domainRows: g.outShape[2],
      inputs: x ? [{ t: dy }, { t: x, stride: 2 }] : [{ t: dy }],
      output: { t: xShape, stride: 2 },
      name: dxLabel,
      run: ([dyb, xb], band) => {
        const [start, end] = band.rows[band.rows.length - 1]!;
        const shape = [xShape[0]!, xShape[1]!, end - start, xShape[3]!];
        return { y: pool2x2Backward(ctx, kernel, shape, xb ? { x: xb, dy: dyb! } : { dy: dyb! }, dxLabel), offset: 0 };
      },
    });
  }
  const dx = ctx.empty(xShape, dxLabel);
  const bound: Record<string, DeviceTensor> = inputs.x ? { x: inputs.x, dy } : { dy };
  const buffers = [...Object.values(bound).map((t) => t.buffer), dx.buffer];
  if (kernel === 'maxpool_backward' && xShape[3]! % 4 === 0) {
    // A vec4 of dx per invocation (two windows of a row): the same routing, whole-vector loads.
    const n = dx.size / 4;
    dispatchElementwise(ctx, 'maxpool_backward_vec4', label(kernel, bound), n, g.params(n), buffers);
  } else dispatchElementwise(ctx, kernel, label(kernel, bound), dx.size, g.params(dx.size), buffers);
  return dx;
}
