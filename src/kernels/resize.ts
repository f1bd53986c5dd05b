// Image resampling on the device (shaders/resize_axis.wgsl): area filter when shrinking
// (antialiased), linear interpolation when enlarging; rows first, then columns.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { dispatchElementwise, label, requireRank } from './launch.js';

function resizeAxis(ctx: GpuContext, x: DeviceTensor, lenIn: number, lenOut: number, inner: number, shape: number[]): DeviceTensor {
  const y = ctx.empty(shape, 'resized');
  const params = { n: y.size, len_in: lenIn, len_out: lenOut, inner };
  dispatchElementwise(ctx, 'resize_axis', label('resize_axis', { x, y: shape }), y.size, params, [x.buffer, y.buffer]);
  return y;
}

/** [N, C, H, W] -> [N, C, height, width]. A tensor already at that size is copied unchanged. */
export function resize(ctx: GpuContext, x: DeviceTensor, height: number, width: number): DeviceTensor {
  requireRank('resize', 'x', x, 4);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (!(height >= 1 && width >= 1 && Number.isInteger(height) && Number.isInteger(width))) {
    throw new Error(`resize: target size ${width}×${height} must be whole numbers >= 1`);
  }
  if (h === height && w === width) return ctx.copy(x, 'resized');
  const rows = w === width ? ctx.copy(x) : resizeAxis(ctx, x, w, width, 1, [n, c, h, width]);
  if (h === height) return rows;
  const out = resizeAxis(ctx, rows, h, height, width, [n, c, height, width]);
  rows.release();
  return out;
}
