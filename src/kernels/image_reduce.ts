// 8-bit RGBA pixels -> planar RGB 0..1 on the device, area-reduced on the way (shaders/image_reduce.wgsl).
// The pixels go up band by band through one staging buffer of bounded size, so a photo of any
// size needs only that buffer and the (small) output on the device, never a full-size f32 copy.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { fitsBinding, planRowBands, scatterRows } from './band.js';
import { dispatchElementwise, label } from './launch.js';

/** Staging for the packed pixels of one band (also capped by the adapter's binding limit). */
export const IMAGE_BAND_BYTES = 16 * 2 ** 20;

export interface ImageReduceOptions {
  /** Upper bound on the bytes of one band (tests force tiny bands); default IMAGE_BAND_BYTES. */
  bandBytes?: number;
  label?: string;
}

/** A band: `rows` whole rows from `row0`, or (when one row exceeds the budget) part of one row. */
interface Band {
  row0: number;
  rows: number;
  col0: number;
  cols: number;
}

/**
 * `data` holds width×height RGBA pixels (alpha ignored). Returns [1, 3, outHeight, outWidth] RGB 0..1:
 * each axis that shrinks is averaged over each output pixel's exact footprint (the area filter of
 * `resize`); an axis that keeps its length is copied. Enlarging is not supported (use `resize`).
 */
export function reduceImage(
  ctx: GpuContext,
  data: Uint8Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  options: ImageReduceOptions = {},
): DeviceTensor {
  const name = options.label ?? 'image';
  checkSizes(name, data, width, height, outWidth, outHeight);
  const outShape = [1, 3, outHeight, outWidth];
  if (fitsBinding(ctx, outShape)) return reduceRows(ctx, data, width, height, outWidth, outHeight, 0, outHeight, name, options);
  // Past one binding: each band of output rows from the input rows its footprints reach, copied in.
  const out = ctx.empty(outShape, name);
  for (const band of planRowBands(ctx, 'image_reduce', outHeight, [{ t: outShape }])) {
    const part = reduceRows(ctx, data, width, height, outWidth, outHeight, band.r0, band.r1, `${name} rows`, options);
    scatterRows(ctx, part, 0, band.r1 - band.r0, out, band.r0);
    part.release();
  }
  return out;
}

/** Output rows [yRow0, yRow1) of the reduction, as [1, 3, yRow1 − yRow0, outWidth]. */
function reduceRows(
  ctx: GpuContext,
  data: Uint8Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  yRow0: number,
  yRow1: number,
  name: string,
  options: ImageReduceOptions,
): DeviceTensor {
  const budget = Math.min(options.bandBytes ?? IMAGE_BAND_BYTES, ctx.bindingBytes);
  // The input rows these output rows' footprints can reach (widened by one, as `touched`).
  const inRow0 = Math.max(0, Math.floor((yRow0 * height) / outHeight) - 1);
  const inRow1 = Math.min(height, Math.ceil((yRow1 * height) / outHeight) + 1);
  const bands = planBands(width, inRow1 - inRow0, Math.max(1, Math.floor(budget / 4))).map((b) => ({ ...b, row0: b.row0 + inRow0 }));
  const out = ctx.zeros([1, 3, yRow1 - yRow0, outWidth], name);
  const stagingWords = Math.max(...bands.map((b) => b.rows * b.cols));
  const staging = ctx.empty([stagingWords], `${name} band`);
  const kernelLabel = label('image_reduce', { y: out.shape });
  for (const band of bands) {
    const ys = touched(band.row0, band.rows, height, outHeight);
    const first = Math.max(ys.first, yRow0);
    const rows = Math.min(ys.first + ys.count, yRow1) - first;
    if (rows <= 0) continue;
    // The previous band's dispatch must be submitted before its staging bytes are overwritten:
    // writeBuffer lands in queue order, after everything submitted so far.
    ctx.submit();
    const byteOffset = (band.row0 * width + band.col0) * 4;
    ctx.device.queue.writeBuffer(staging.buffer, 0, data as Uint8Array<ArrayBuffer>, byteOffset, band.rows * band.cols * 4);
    const xs = touched(band.col0, band.cols, width, outWidth);
    const n = rows * xs.count;
    const params = {
      n,
      in_w: width,
      in_h: height,
      out_w: outWidth,
      out_h: outHeight,
      row0: band.row0,
      rows: band.rows,
      col0: band.col0,
      cols: band.cols,
      out_row0: first,
      out_col0: xs.first,
      out_cols: xs.count,
      y_row0: yRow0,
      y_rows: yRow1 - yRow0,
    };
    dispatchElementwise(ctx, 'image_reduce', kernelLabel, n, params, [staging.buffer, out.buffer]);
  }
  staging.release();
  return out;
}

/** Whole rows per band while a row fits the budget; otherwise each row in pieces of `maxPixels`. */
export function planBands(width: number, height: number, maxPixels: number): Band[] {
  const bands: Band[] = [];
  const rowsPerBand = Math.floor(maxPixels / width);
  if (rowsPerBand >= 1) {
    for (let row0 = 0; row0 < height; row0 += rowsPerBand)
      bands.push({ row0, rows: Math.min(rowsPerBand, height - row0), col0: 0, cols: width });
    return bands;
  }
  for (let row0 = 0; row0 < height; row0++)
    for (let col0 = 0; col0 < width; col0 += maxPixels) bands.push({ row0, rows: 1, col0, cols: Math.min(maxPixels, width - col0) });
  return bands;
}

/**
 * Output samples along an axis whose footprint may overlap input [start, start + count): the exact
 * range widened by one on each side, since the shader's f32 footprints may round across an edge
 * (the extra samples find no pixels in the band and add zero).
 */
function touched(start: number, count: number, lenIn: number, lenOut: number): { first: number; count: number } {
  const first = Math.max(0, Math.floor((start * lenOut) / lenIn) - 1);
  const last = Math.min(lenOut, Math.ceil(((start + count) * lenOut) / lenIn) + 1);
  return { first, count: last - first };
}

function checkSizes(name: string, data: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): void {
  const whole = (v: number) => Number.isInteger(v) && v >= 1;
  if (!whole(width) || !whole(height)) throw new Error(`${name}: image size ${width}×${height} must be whole numbers >= 1`);
  if (data.length !== width * height * 4) {
    throw new Error(`${name}: a ${width}×${height} RGBA image needs ${width * height * 4} bytes, got ${data.length}`);
  }
  if (!whole(outWidth) || !whole(outHeight) || outWidth > width || outHeight > height) {
    throw new Error(`${name}: cannot reduce ${width}×${height} to ${outWidth}×${outHeight}; each side must be from 1 to the image's`);
  }
}
