// Image bytes <-> 8-bit RGBA, without the file system (src/node/image-files.ts reads and writes
// files). Decoding needs the output, the file and a few rows, whatever the compression ratio:
// sequential JPEG streams MCU row by MCU row (jpeg-decode.ts, byte-identical to jpeg-js); PNG
// (8/16-bit, gray, alpha, palette, interlaced; alpha composited over white) as it inflates
// (png-decode.ts). Progressive JPEG goes through jpeg-js, refused before decoding where that would
// need more than its output plus a margin (jpeg-js.ts). EXIF orientation is applied; pngjs and
// jpeg-js encode. The bytes are untrusted: the header's size is checked against a pixel limit
// first, and a JPEG too short to hold the pixels it claims is refused before anything is allocated
// for them (a PNG that inflates short is refused when its data ends). A huge image can be reduced
// as it decodes (decode-reduce.ts) to what a run needs: imageSize reads the size it will have first.

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { RgbaImage } from '../style/image-tensor.js';
import { UserError } from '../util/errors.js';
import { decodeSequential } from './jpeg-decode.js';
import { decodeWithJpegJs } from './jpeg-js.js';
import { sequentialLayout } from './jpeg-layout.js';
import { BoxReducer, cellSide, type ReducedImage, type ReduceRequest } from './decode-reduce.js';
import { exifOrientation, jpegFrame, SOF_MARKERS, Unsupported } from './jpeg-segments.js';
import { pngLayout } from './png-chunks.js';
import { decodePngPixels } from './png-decode.js';

export type { RgbaImage };
export { exifOrientation };

/** Images with more pixels than this are refused before decoding (200 megapixels). */
export const DEFAULT_MAX_PIXELS = 200_000_000;

export interface DecodeImageOptions {
  /** Refuse images with more pixels than this, judged from the header (default DEFAULT_MAX_PIXELS). */
  maxPixels?: number;
  /** Reduce an image over HUGE_IMAGE_PIXELS while decoding it, keeping this short side (decode-reduce.ts). */
  reduce?: ReduceRequest;
}

const SUPPORTED = 'supported formats: JPEG (baseline or progressive) and PNG; convert the image to one of them';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface Header {
  width: number;
  height: number;
}

export function decodeImage(bytes: Uint8Array, name: string, options: DecodeImageOptions = {}): ReducedImage {
  const maxPixels = pixelLimit(options);
  return guarded(bytes, name, (format, buffer) =>
    format === 'JPEG' ? decodeJpeg(buffer, name, maxPixels, options.reduce) : decodePng(buffer, name, maxPixels, options.reduce),
  );
}

/** The image's size as decodeImage will give it upright (before any reduction), read from its header and checked against the pixel limit. */
export function imageSize(bytes: Uint8Array, name: string, options: DecodeImageOptions = {}): Header {
  const maxPixels = pixelLimit(options);
  return guarded(bytes, name, (format, buffer) => {
    if (format === 'PNG') return checkSize(name, pngLayout(buffer), maxPixels);
    const { width, height } = checkSize(name, jpegFrame(buffer), maxPixels);
    return exifOrientation(buffer) >= 5 ? { width: height, height: width } : { width, height };
  });
}

function pixelLimit(options: DecodeImageOptions): number {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0)) throw new UserError(`maxPixels must be a positive number of pixels, got ${maxPixels}`);
  return maxPixels;
}

/** Runs `read` on a JPEG or PNG, turning what it throws into one UserError naming the file. */
function guarded<T>(bytes: Uint8Array, name: string, read: (format: 'JPEG' | 'PNG', buffer: Buffer) => T): T {
  const format = isJpeg(bytes) ? 'JPEG' : isPng(bytes) ? 'PNG' : undefined;
  if (!format) throw new UserError(`${name}: cannot decode the image (not a JPEG or PNG file); ${SUPPORTED}`);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return read(format, buffer);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const detail = (err as Error)?.message ?? String(err);
    if (err instanceof Unsupported || (format === 'JPEG' && /unsupported|only single frame/i.test(detail))) {
      throw new UserError(
        `${name}: cannot decode the image: it uses a JPEG feature this reader lacks (${detail}); save it as a baseline or progressive JPEG, or as PNG`,
      );
    }
    if (/allocat|out of memory/i.test(detail)) {
      throw new UserError(`${name}: cannot decode the image: not enough memory (${detail}); use a smaller image or lower --max-megapixels`);
    }
    throw new UserError(
      `${name}: cannot decode the image: the ${format} file is damaged (truncated or corrupt: ${detail}); re-export or re-download it`,
    );
  }
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === 0xd8;
}

function isPng(bytes: Uint8Array): boolean {
  return PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Refuses an empty image, or one over the pixel limit, before it is decoded; returns its size. */
function checkSize(name: string, { width, height }: Header, maxPixels: number): Header {
  if (width < 1 || height < 1) throw new Error(`the header says the image is ${width}×${height} pixels`);
  const pixels = width * height;
  if (pixels <= maxPixels) return { width, height };
  const mp = (n: number) => `${+(n / 1e6).toPrecision(3)}`;
  throw new UserError(
    `${name}: the image is ${width}×${height} pixels (${mp(pixels)} megapixels), over the limit of ${mp(maxPixels)} megapixels; ` +
      'if the file is genuine, raise the limit with --max-megapixels',
  );
}

// ---- JPEG ----

function decodeJpeg(bytes: Buffer, name: string, maxPixels: number, reduce?: ReduceRequest): ReducedImage {
  const frame = jpegFrame(bytes);
  checkSize(name, frame, maxPixels);
  if (frame.marker > 0xc2) throw new Unsupported(`${SOF_MARKERS[frame.marker]} JPEG`);
  // Every 8×8 block of every component is coded with at least one bit.
  const maxH = Math.max(...frame.sampling.map((s) => s.h));
  const maxV = Math.max(...frame.sampling.map((s) => s.v));
  let blocks = 0;
  for (const { h, v } of frame.sampling)
    blocks += Math.ceil((Math.ceil(frame.width / 8) * h) / maxH) * Math.ceil((Math.ceil(frame.height / 8) * v) / maxV);
  if (bytes.length * 8 < blocks)
    throw new Error(`${bytes.length} bytes cannot hold the ${frame.width}×${frame.height} pixels its header claims`);
  const layout = sequentialLayout(bytes);
  const k = cellSide(frame.width, frame.height, reduce);
  const reducer = () => (k > 1 ? new BoxReducer(frame.width, frame.height, k, true) : undefined);
  // jpeg-js's whole image (progressive files) is reduced after it decodes: the same cells, the same bytes.
  const whole = () => decodeWithJpegJs(bytes, frame, name);
  const image: ReducedImage = (layout && decodeSequential(bytes, layout, reducer())) ?? (k > 1 ? BoxReducer.reduce(whole(), k) : whole());
  const orientation = exifOrientation(bytes);
  const upright = applyOrientation(image, orientation);
  const from = image.reducedFrom;
  if (!from || upright === image) return upright;
  return { ...upright, reducedFrom: orientation >= 5 ? { width: from.height, height: from.width } : from };
}

// ---- PNG ----

function decodePng(bytes: Uint8Array, name: string, maxPixels: number, reduce?: ReduceRequest): ReducedImage {
  const png = pngLayout(bytes);
  checkSize(name, png, maxPixels);
  const k = cellSide(png.width, png.height, reduce);
  return decodePngPixels(bytes, png, k > 1 ? new BoxReducer(png.width, png.height, k, !png.interlaced) : undefined);
}

// ---- Encoding and orientation ----

/** PNG for a name ending .png, JPEG (with `quality` 1–100) for .jpg/.jpeg. */
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

/** Turns pixels stored with EXIF orientation `o` upright. */
export function applyOrientation(image: RgbaImage, o: number): RgbaImage {
  if (o < 2 || o > 8) return image;
  const { width: w, height: h } = image;
  const aligned = image.data.byteOffset % 4 === 0 ? image.data : image.data.slice();
  const source = new Uint32Array(aligned.buffer, aligned.byteOffset, w * h); // one element per pixel
  const [W, H] = o >= 5 ? [h, w] : [w, h];
  // Where output pixel (x, y) comes from in the stored image.
  const from: Record<number, (x: number, y: number) => number> = {
    2: (x, y) => y * w + (w - 1 - x),
    3: (x, y) => (h - 1 - y) * w + (w - 1 - x),
    4: (x, y) => (h - 1 - y) * w + x,
    5: (x, y) => x * w + y,
    6: (x, y) => (h - 1 - x) * w + y,
    7: (x, y) => (h - 1 - x) * w + (w - 1 - y),
    8: (x, y) => x * w + (w - 1 - y),
  };
  const index = from[o]!;
  const out = new Uint32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[y * W + x] = source[index(x, y)]!;
  return { width: W, height: H, data: new Uint8Array(out.buffer) };
}
