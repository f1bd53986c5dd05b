// Image resampling on the device (shaders/resize_axis.wgsl): area filter when shrinking
// (antialiased), linear interpolation when enlarging; rows first, then columns.
// Past one binding (band.ts), each pass runs on parts that give the same values: the row pass
// (along W) on bands of rows, the column pass (along H, which reads any row of a plane) one
// channel plane at a time, copied out and back. So a plane [H, W] must fit one binding.

import { formatShape, type DeviceTensor, type GpuContext, type Shape } from '../gpu/index.js';
import { fitsBinding, rowBanded } from './band.js';
import { dispatchElementwise, label, requireRank } from './launch.js';

function resizeAxis(ctx: GpuContext, x: DeviceTensor, lenIn: number, lenOut: number, inner: number, shape: Shape): DeviceTensor {
  const y = ctx.empty(shape, 'resized');
  const params = { n: y.size, len_in: lenIn, len_out: lenOut, inner };
  dispatchElementwise(ctx, 'resize_axis', label('resize_axis', { x, y: shape }), y.size, params, [x.buffer, y.buffer]);
  return y;
}

/** x [N, C, H, W] -> [N, C, H, width]: each row on its own, so bands of rows past one binding. */
function resizeRows(ctx: GpuContext, x: DeviceTensor, width: number): DeviceTensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const shape = [n, c, h, width];
  if (fitsBinding(ctx, x, shape)) return resizeAxis(ctx, x, w, width, 1, shape);
  return rowBanded(ctx, {
    kernel: 'resize_axis',
    domainRows: h,
    inputs: [{ t: x }],
    output: { t: shape },
    name: 'resized',
    run: ([xb]) => ({ y: resizeRows(ctx, xb!, width), offset: 0 }),
  });
}

/** x [N, C, H, W] -> [N, C, height, W]: a column reads its whole plane, so one plane at a time past one binding. */
function resizeColumns(ctx: GpuContext, x: DeviceTensor, height: number): DeviceTensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const shape = [n, c, height, w];
  if (fitsBinding(ctx, x, shape)) return resizeAxis(ctx, x, h, height, w, shape);
  const [planeIn, planeOut] = [h * w, height * w];
  if (!fitsBinding(ctx, [1, 1, h, w], [1, 1, height, w])) {
    throw new Error(
      `resize: one channel plane of ${formatShape(x.shape)} -> ${formatShape(shape)} is over the ${ctx.bindingBytes}-byte binding ` +
        'limit (the column pass binds a whole plane); use a smaller size',
    );
  }
  const y = ctx.empty(shape, 'resized');
  for (let p = 0; p < n * c; p++) {
    const xp = ctx.empty([1, 1, h, w], 'resize plane');
    ctx.copyElements(x, p * planeIn, xp, 0, planeIn);
    const yp = resizeAxis(ctx, xp, h, height, w, [1, 1, height, w]);
    ctx.copyElements(yp, 0, y, p * planeOut, planeOut);
    xp.release();
    yp.release();
  }
  return y;
}

/** [N, C, H, W] -> [N, C, height, width]. A tensor already at that size is copied unchanged. */
export function resize(ctx: GpuContext, x: DeviceTensor, height: number, width: number): DeviceTensor {
  requireRank('resize', 'x', x, 4);
  const [, , h, w] = x.shape as [number, number, number, number];
  if (!(height >= 1 && width >= 1 && Number.isInteger(height) && Number.isInteger(width))) {
    throw new Error(`resize: target size ${width}×${height} must be whole numbers >= 1`);
  }
  if (h === height && w === width) return ctx.copy(x, 'resized');
  const rows = w === width ? ctx.copy(x) : resizeRows(ctx, x, width);
  if (h === height) return rows;
  const out = resizeColumns(ctx, rows, height);
  rows.release();
  return out;
}
