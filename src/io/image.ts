// Decoding images into RGBA pixels: JPEG (jpeg-js) and PNG (pngjs). Errors name the file.

import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel, row-major. */
  data: Uint8Array;
}

export function readImage(path: string): RgbaImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read the image (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return decodeImage(bytes, path);
}

export function decodeImage(bytes: Uint8Array, name: string): RgbaImage {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (buffer[0] === 0xff && buffer[1] === 0xd8) {
      const decoded = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
      return { width: decoded.width, height: decoded.height, data: decoded.data };
    }
    if (buffer.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
      const png = PNG.sync.read(buffer);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
  } catch (err) {
    throw new Error(`${name}: the image is corrupt or unsupported (${(err as Error).message})`);
  }
  throw new Error(`${name}: not a JPEG or PNG image`);
}
