// 2×2 stride-2 max-pool forward and backward (shaders/maxpool_forward.wgsl, maxpool_backward.wgsl).

import { packParams, type DeviceTensor, type GpuContext } from '../gpu/index.js';
import { dispatchElementwise, label, requireRank } from './launch.js';

function geometry(x: DeviceTensor) {
  const [n, c, height, width] = x.shape as [number, number, number, number];
  const outH = Math.floor(height / 2);
  const outW = Math.floor(width / 2);
  return { n, c, height, width, outH, outW, outShape: [n, c, outH, outW] as const };
}

export function maxPool2x2Forward(ctx: GpuContext, x: DeviceTensor): DeviceTensor {
  requireRank('maxpool_forward', 'x', x, 4);
  const g = geometry(x);
  const y = ctx.empty(g.outShape, 'max-pool output');
  const params = packParams([['u32', y.size], ['u32', g.height], ['u32', g.width], ['u32', g.outH], ['u32', g.outW]]);
  dispatchElementwise(ctx, 'maxpool_forward', label('maxpool_forward', { x }), y.size, params, [x.buffer, y.buffer]);
  return y;
}

/** Sends each dy to the input that won its window in the forward pass (x is the pool's input). */
export function maxPool2x2Backward(ctx: GpuContext, x: DeviceTensor, dy: DeviceTensor): DeviceTensor {
  requireRank('maxpool_backward', 'x', x, 4);
  const g = geometry(x);
  if (dy.shape.some((d, i) => d !== g.outShape[i]) || dy.shape.length !== 4) {
    throw new Error(`maxpool_backward: dy must have shape [${g.outShape.join(',')}] for x [${x.shape.join(',')}], got [${dy.shape.join(',')}]`);
  }
  const dx = ctx.empty(x.shape, 'max-pool input gradient');
  const params = packParams([['u32', x.size], ['u32', g.height], ['u32', g.width], ['u32', g.outH], ['u32', g.outW]]);
  dispatchElementwise(ctx, 'maxpool_backward', label('maxpool_backward', { x, dy }), x.size, params, [x.buffer, dy.buffer, dx.buffer]);
  return dx;
}
