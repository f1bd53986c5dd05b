// Between 8-bit RGBA pixels and [1, 3, H, W] tensors on the device. Uploads unpack (and shrink)
// the bytes in a kernel; only the readback's float -> byte conversion happens here.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { channelAffineForward, originalColors, reduceImage, resize } from '../kernels/index.js';
import { NORMALIZED_TO_RGB, RGB_TO_NORMALIZED } from './convention.js';

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel, row-major; alpha is ignored. */
  data: Uint8Array;
}

/**
 * RGB in 0..1, planar [1, 3, h, w]. With `atMost`, each side larger than its bound is reduced to it
 * on the device with the area filter of `resize` (w = min(width, atMost.width), likewise h), so a
 * full-size f32 copy of a large photo never exists; the 8-bit pixels go up in bounded bands.
 */
export function uploadImage(ctx: GpuContext, image: RgbaImage, label = 'image', atMost?: { width: number; height: number }): DeviceTensor {
  const width = atMost ? Math.min(image.width, atMost.width) : image.width;
  const height = atMost ? Math.min(image.height, atMost.height) : image.height;
  return reduceImage(ctx, image.data, image.width, image.height, width, height, { label });
}

/** Reads an RGB 0..1 tensor back as 8-bit RGBA (opaque). */
export async function downloadImage(rgb: DeviceTensor): Promise<RgbaImage> {
  const [, , height, width] = rgb.shape as [number, number, number, number];
  const values = await rgb.read();
  const plane = width * height;
  const data = new Uint8Array(plane * 4);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) data[i * 4 + c] = Math.round(Math.min(1, Math.max(0, values[c * plane + i]!)) * 255);
    data[i * 4 + 3] = 255;
  }
  return { width, height, data };
}

/** Normalised space -> RGB 0..1, clamped. */
export function normalizedToRgb(ctx: GpuContext, image: DeviceTensor): DeviceTensor {
  return channelAffineForward(ctx, image, NORMALIZED_TO_RGB, 0, 1);
}

/** RGB 0..1 at any size -> the normalised space at width×height. */
export function rgbToNormalized(ctx: GpuContext, rgb: DeviceTensor, width: number, height: number): DeviceTensor {
  const sized = resize(ctx, rgb, height, width);
  const normalized = channelAffineForward(ctx, sized, RGB_TO_NORMALIZED);
  sized.release();
  return normalized;
}

/** An image in the normalised space as 8-bit RGBA; with the colours of `content` (RGB 0..1, any size) when given. */
export async function normalizedToRgba(ctx: GpuContext, image: DeviceTensor, content?: DeviceTensor): Promise<RgbaImage> {
  const rgb = normalizedToRgb(ctx, image);
  if (!content) {
    const out = await downloadImage(rgb);
    rgb.release();
    return out;
  }
  const [, , h, w] = rgb.shape as [number, number, number, number];
  const sized = resize(ctx, content, h, w);
  const recoloured = originalColors(ctx, rgb, sized);
  const out = await downloadImage(recoloured);
  for (const t of [rgb, sized, recoloured]) t.release();
  return out;
}
