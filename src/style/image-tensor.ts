// Between 8-bit RGBA pixels and [1, 3, H, W] tensors on the device. Only the byte <-> float
// conversion happens here; every other pixel operation is a kernel.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { channelAffineForward } from '../kernels/index.js';
import { SEED_TO_RGB } from './convention.js';

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel, row-major; alpha is ignored. */
  data: Uint8Array;
}

/** RGB in 0..1, planar. */
export function uploadImage(ctx: GpuContext, image: RgbaImage, label = 'image'): DeviceTensor {
  const plane = image.width * image.height;
  const planar = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    planar[i] = image.data[i * 4]! / 255;
    planar[plane + i] = image.data[i * 4 + 1]! / 255;
    planar[2 * plane + i] = image.data[i * 4 + 2]! / 255;
  }
  return ctx.upload([1, 3, image.height, image.width], planar, label);
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

/** Seed space -> RGB 0..1, clamped. */
export function seedToRgb(ctx: GpuContext, image: DeviceTensor): DeviceTensor {
  return channelAffineForward(ctx, image, SEED_TO_RGB, 0, 1);
}
