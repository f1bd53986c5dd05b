// Gram matrix G = X·Xᵀ / (C·H·W) per batch item, X = features reshaped to (C, H·W), and its
// gradient dX = (dG + dGᵀ)·X / (C·H·W) (shaders/gram_forward.wgsl, shaders/gram_backward.wgsl).

import { packParams, type DeviceTensor, type GpuContext } from '../gpu/index.js';
import { label, requireRank } from './launch.js';

const BLOCK = 4;
const WG = 8;

function geometry(x: DeviceTensor) {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (c * h * w === 0) throw new Error(`gram: features [${x.shape.join(',')}] are empty (the image is too small for this layer)`);
  return { n, c, pixels: h * w, params: packParams([['u32', c], ['u32', h * w], ['f32', 1 / (c * h * w)]]) };
}

/** [N, C, H, W] -> [N, C, C]. */
export function gramForward(ctx: GpuContext, x: DeviceTensor): DeviceTensor {
  requireRank('gram_forward', 'x', x, 4);
  const { n, c, params } = geometry(x);
  const g = ctx.empty([n, c, c], 'gram');
  const tiles = Math.ceil(Math.ceil(c / BLOCK) / WG);
  ctx.dispatch({ kernel: 'gram_forward', label: label('gram_forward', { x }), params, buffers: [x.buffer, g.buffer], workgroups: [tiles, tiles, n] });
  return g;
}

export function gramBackward(ctx: GpuContext, x: DeviceTensor, dg: DeviceTensor): DeviceTensor {
  requireRank('gram_backward', 'x', x, 4);
  const { n, c, pixels, params } = geometry(x);
  if (dg.shape.length !== 3 || dg.shape[0] !== n || dg.shape[1] !== c || dg.shape[2] !== c) {
    throw new Error(`gram_backward: dG must have shape [${n},${c},${c}] for x [${x.shape.join(',')}], got [${dg.shape.join(',')}]`);
  }
  const dx = ctx.empty(x.shape, 'gram input gradient');
  ctx.dispatch({
    kernel: 'gram_backward',
    label: label('gram_backward', { x, dG: dg }),
    params,
    buffers: [x.buffer, dg.buffer, dx.buffer],
    workgroups: [Math.ceil(Math.ceil(pixels / BLOCK) / WG), Math.ceil(Math.ceil(c / BLOCK) / WG), n],
  });
  return dx;
}
