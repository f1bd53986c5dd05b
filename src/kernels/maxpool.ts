// 2×2 stride-2 pooling, max and average, forward and backward
// (shaders/maxpool_forward.wgsl, maxpool_backward.wgsl, avgpool_forward.wgsl, avgpool_backward.wgsl).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { dispatchElementwise, label, requireRank } from './launch.js';

function geometry(kernel: string, x: DeviceTensor) {
  requireRank(kernel, 'x', x, 4);
  const [n, c, height, width] = x.shape as [number, number, number, number];
  const outH = Math.floor(height / 2);
  const outW = Math.floor(width / 2);
  const params = (n: number) => ({ n, height, width, out_h: outH, out_w: outW });
  return { params, outShape: [n, c, outH, outW] as const };
}

function checkOutputGrad(kernel: string, x: DeviceTensor, dy: DeviceTensor, outShape: readonly number[]): void {
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== outShape[i])) {
    throw new Error(`${kernel}: dy must have shape [${outShape.join(',')}] for x [${x.shape.join(',')}], got [${dy.shape.join(',')}]`);
  }
}

function poolForward(ctx: GpuContext, kernel: 'maxpool_forward' | 'avgpool_forward', x: DeviceTensor): DeviceTensor {
  const g = geometry(kernel, x);
  const y = ctx.empty(g.outShape, `${kernel} output`);
  dispatchElementwise(ctx, kernel, label(kernel, { x }), y.size, g.params(y.size), [x.buffer, y.buffer]);
  return y;
}

export function maxPool2x2Forward(ctx: GpuContext, x: DeviceTensor): DeviceTensor {
  return poolForward(ctx, 'maxpool_forward', x);
}

export function avgPool2x2Forward(ctx: GpuContext, x: DeviceTensor): DeviceTensor {
  return poolForward(ctx, 'avgpool_forward', x);
}

/** Spreads each dy evenly over its window (x is the pool's input; only its shape is used). */
export function avgPool2x2Backward(ctx: GpuContext, x: DeviceTensor, dy: DeviceTensor): DeviceTensor {
  const g = geometry('avgpool_backward', x);
  checkOutputGrad('avgpool_backward', x, dy, g.outShape);
  const dx = ctx.empty(x.shape, 'avg-pool input gradient');
  dispatchElementwise(ctx, 'avgpool_backward', label('avgpool_backward', { dy }), x.size, g.params(x.size), [dy.buffer, dx.buffer]);
  return dx;
}

/** Sends each dy to the input that won its window in the forward pass (x is the pool's input). */
export function maxPool2x2Backward(ctx: GpuContext, x: DeviceTensor, dy: DeviceTensor): DeviceTensor {
  const g = geometry('maxpool_backward', x);
  checkOutputGrad('maxpool_backward', x, dy, g.outShape);
  const dx = ctx.empty(x.shape, 'max-pool input gradient');
  dispatchElementwise(ctx, 'maxpool_backward', label('maxpool_backward', { x, dy }), x.size, g.params(x.size), [x.buffer, dy.buffer, dx.buffer]);
  return dx;
}
