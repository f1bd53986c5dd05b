// Per-channel affine maps with a channel permutation on 3-channel images
// (shaders/channel_affine_forward.wgsl, shaders/channel_affine_backward.wgsl): pixel-convention changes,
// and the differentiable input transform in front of conv1_1. Each pixel's channels are mixed, so
// past one binding both run on bands of rows of all three channels (band.ts rowBanded).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { fitsBinding, rowBanded } from './band.js';
import { dispatchElementwise, label, requireRank } from './launch.js';

export interface ChannelAffine {
  /** Output channel c reads input channel perm[c]. */
  perm: readonly [number, number, number];
  a: readonly [number, number, number];
  b: readonly [number, number, number];
}

function checkImage(kernel: string, x: DeviceTensor): number {
  requireRank(kernel, 'x', x, 4);
  if (x.shape[1] !== 3) throw new Error(`${kernel}: expects 3 channels, got [${x.shape.join(',')}]`);
  return x.shape[2]! * x.shape[3]!;
}

/** `op` on each band of rows of x (every channel), when x is larger than one binding. */
function perRowBand(
  ctx: GpuContext,
  kernel: string,
  x: DeviceTensor,
  name: string,
  op: (band: DeviceTensor) => DeviceTensor,
): DeviceTensor {
  return rowBanded(ctx, {
    kernel,
    domainRows: x.shape[2]!,
    inputs: [{ t: x }],
    output: { t: x.shape },
    name,
    run: ([xb]) => ({ y: op(xb!), offset: 0 }),
  });
}

/** y = clamp(a·x[perm] + b, lo, hi). */
export function channelAffineForward(ctx: GpuContext, x: DeviceTensor, t: ChannelAffine, lo = -Infinity, hi = Infinity): DeviceTensor {
  const plane = checkImage('channel_affine_forward', x);
  if (!fitsBinding(ctx, x))
    return perRowBand(ctx, 'channel_affine_forward', x, 'channel affine output', (xb) => channelAffineForward(ctx, xb, t, lo, hi));
  const y = ctx.empty(x.shape, 'channel affine output');
  const [lo32, hi32] = [Math.max(lo, -3.4e38), Math.min(hi, 3.4e38)];
  // The shader's vec4s hold one value per channel; the fourth is padding.
  const params = { n: x.size, plane, lo: lo32, hi: hi32, perm: [...t.perm, 0], a: [...t.a, 0], b: [...t.b, 0] } as const;
  dispatchElementwise(ctx, 'channel_affine_forward', label('channel_affine_forward', { x }), x.size, params, [x.buffer, y.buffer]);
  return y;
}

/** dx for y = a·x[perm] + b (no clamp). */
export function channelAffineBackward(ctx: GpuContext, dy: DeviceTensor, t: ChannelAffine): DeviceTensor {
  const plane = checkImage('channel_affine_backward', dy);
  const inverse: [number, number, number, number] = [0, 0, 0, 0]; // a vec4: the fourth is padding
  t.perm.forEach((k, c) => (inverse[k] = c));
  if (new Set(t.perm).size !== 3) throw new Error(`channel_affine_backward: perm [${t.perm}] is not a permutation of 0,1,2`);
  if (!fitsBinding(ctx, dy))
    return perRowBand(ctx, 'channel_affine_backward', dy, 'channel affine input gradient', (b) => channelAffineBackward(ctx, b, t));
  const dx = ctx.empty(dy.shape, 'channel affine input gradient');
  const params = { n: dy.size, plane, inverse, a: [...t.a, 0] } as const;
  dispatchElementwise(ctx, 'channel_affine_backward', label('channel_affine_backward', { dy }), dy.size, params, [dy.buffer, dx.buffer]);
  return dx;
}
