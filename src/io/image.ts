// Image files <-> 8-bit RGBA: JPEG via jpeg-js (baseline, progressive, grayscale; EXIF orientation
// applied) and PNG via pngjs (8/16-bit, gray, alpha, palette; alpha composited over white).
// Writing goes to a temporary file that is renamed into place. Errors name the file.

import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../node/weights-files.js';
import type { RgbaImage } from '../style/image-tensor.js';
import { UserError } from '../util/errors.js';

export type { RgbaImage };

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function readImage(path: string): RgbaImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read the image (${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)})`);
  }
  return decodeImage(bytes, path);
}

export function decodeImage(bytes: Uint8Array, name: string): RgbaImage {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let image: RgbaImage;
  try {
    if (buffer[0] === 0xff && buffer[1] === 0xd8) {
      const decoded = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 4096, maxResolutionInMP: 400 });
      image = applyOrientation({ width: decoded.width, height: decoded.height, data: decoded.data }, exifOrientation(buffer));
    } else if (buffer.subarray(0, 8).equals(PNG_SIGNATURE)) {
      const png = PNG.sync.read(buffer);
      image = { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
      compositeOverWhite(image);
    } else {
      throw new Error('not a JPEG or PNG file');
    }
  } catch (err) {
    throw new UserError(`${name}: cannot decode the image (${(err as Error).message}); use a JPEG or PNG file`);
  }
  if (image.width < 1 || image.height < 1) throw new UserError(`${name}: the image is empty (${image.width}×${image.height})`);
  return image;
}

/** PNG for .png, JPEG (with `quality` 1–100) for .jpg/.jpeg; written atomically. */
export function writeImage(path: string, image: RgbaImage, quality = 92): void {
  writeFileAtomic(path, encodeImage(path, image, quality));
}

export function encodeImage(path: string, image: RgbaImage, quality = 92): Uint8Array {
  const ext = path.toLowerCase().split('.').pop();
  if (ext === 'png') {
    const png = new PNG({ width: image.width, height: image.height });
    Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength).copy(png.data);
    return PNG.sync.write(png);
  }
  if (ext === 'jpg' || ext === 'jpeg') {
    return jpeg.encode({ width: image.width, height: image.height, data: Buffer.from(image.data) }, quality).data;
  }
  throw new UserError(`${path}: unknown image type ".${ext}"; use .png, .jpg or .jpeg`);
}

function compositeOverWhite(image: RgbaImage): void {
  const d = image.data;
  for (let i = 0; i < d.length; i += 4) {
    const alpha = d[i + 3]! / 255;
    if (alpha === 1) continue;
    for (let c = 0; c < 3; c++) d[i + c] = Math.round(d[i + c]! * alpha + 255 * (1 - alpha));
    d[i + 3] = 255;
  }
}

/** The EXIF Orientation tag (1–8) of a JPEG, or 1 when absent. */
export function exifOrientation(jpegBytes: Uint8Array): number {
  const view = new DataView(jpegBytes.buffer, jpegBytes.byteOffset, jpegBytes.byteLength);
  let offset = 2;
  while (offset + 4 <= view.byteLength && view.getUint8(offset) === 0xff) {
    const marker = view.getUint8(offset + 1);
    const length = view.getUint16(offset + 2);
    if (marker === 0xda) break; // start of scan: no more metadata
    if (marker === 0xe1 && length >= 16 && view.getUint32(offset + 4) === 0x45786966) {
      const tiff = offset + 10;
      const little = view.getUint16(tiff) === 0x4949;
      const ifd = tiff + view.getUint32(tiff + 4, little);
      const entries = view.getUint16(ifd, little);
      for (let i = 0; i < entries; i++) {
        const entry = ifd + 2 + i * 12;
        if (entry + 12 > view.byteLength) break;
        if (view.getUint16(entry, little) === 0x0112) {
          const value = view.getUint16(entry + 8, little);
          return value >= 1 && value <= 8 ? value : 1;
        }
      }
      return 1;
    }
    offset += 2 + length;
  }
  return 1;
}

/** Turns pixels stored with EXIF orientation `o` upright. */
export function applyOrientation(image: RgbaImage, o: number): RgbaImage {
  if (o === 1) return image;
  const { width: w, height: h, data } = image;
  const swap = o >= 5;
  const [W, H] = swap ? [h, w] : [w, h];
  const source: Record<number, (x: number, y: number) => [number, number]> = {
    2: (x, y) => [w - 1 - x, y],
    3: (x, y) => [w - 1 - x, h - 1 - y],
    4: (x, y) => [x, h - 1 - y],
    5: (x, y) => [y, x],
    6: (x, y) => [y, h - 1 - x],
    7: (x, y) => [w - 1 - y, h - 1 - x],
    8: (x, y) => [w - 1 - y, x],
  };
  const from = source[o]!;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const [sx, sy] = from(x, y);
      out.set(data.subarray((sy * w + sx) * 4, (sy * w + sx) * 4 + 4), (y * W + x) * 4);
    }
  return { width: W, height: H, data: out };
}
