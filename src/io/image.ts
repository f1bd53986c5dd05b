// Image bytes <-> 8-bit RGBA, without the file system (src/node/image-files.ts reads and writes
// files): JPEG via jpeg-js (baseline, progressive, grayscale; EXIF orientation applied); PNG
// (8/16-bit, gray, alpha, palette, interlaced; alpha composited over white) decoded as it inflates
// by png-decode.ts, so a highly compressed PNG needs its output and a few rows, no more; pngjs
// encodes. The bytes are untrusted: the header's size is checked against a pixel limit first, and
// a JPEG too short to hold the pixels it claims is refused before jpeg-js allocates for them (a PNG
// that inflates short is refused when its data ends: memory grows only with what it holds).

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { RgbaImage } from '../style/image-tensor.js';
import { UserError } from '../util/errors.js';
import { pngLayout } from './png-chunks.js';
import { decodePngPixels } from './png-decode.js';

export type { RgbaImage };

/** Images with more pixels than this are refused before decoding (200 megapixels). */
export const DEFAULT_MAX_PIXELS = 200_000_000;

export interface DecodeImageOptions {
  /** Refuse images with more pixels than this, judged from the header (default DEFAULT_MAX_PIXELS). */
  maxPixels?: number;
}

const SUPPORTED = 'supported formats: JPEG (baseline or progressive) and PNG; convert the image to one of them';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
// What jpeg-js may allocate per pixel: up to 4 components × (4 bytes of coefficients + 1 byte of
// samples + 1 byte of output) + 4 bytes RGBA, with room for padding to whole MCUs.
const JPEG_DECODER_BYTES_PER_PIXEL = 32;

/** Thrown inside the decoders for a valid file using something they cannot read. */
class Unsupported extends Error {}

interface Header {
  width: number;
  height: number;
}

export function decodeImage(bytes: Uint8Array, name: string, options: DecodeImageOptions = {}): RgbaImage {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0)) throw new UserError(`maxPixels must be a positive number of pixels, got ${maxPixels}`);
  const format = isJpeg(bytes) ? 'JPEG' : isPng(bytes) ? 'PNG' : undefined;
  if (!format) throw new UserError(`${name}: cannot decode the image (not a JPEG or PNG file); ${SUPPORTED}`);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return format === 'JPEG' ? decodeJpeg(buffer, name, maxPixels) : decodePng(buffer, name, maxPixels);
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

/** Refuses an empty image, or one over the pixel limit, before it is decoded. */
function checkSize(name: string, { width, height }: Header, maxPixels: number): void {
  if (width < 1 || height < 1) throw new Error(`the header says the image is ${width}×${height} pixels`);
  const pixels = width * height;
  if (pixels <= maxPixels) return;
  const mp = (n: number) => `${+(n / 1e6).toPrecision(3)}`;
  throw new UserError(
    `${name}: the image is ${width}×${height} pixels (${mp(pixels)} megapixels), over the limit of ${mp(maxPixels)} megapixels; ` +
      'if the file is genuine, raise the limit with --max-megapixels',
  );
}

// ---- JPEG ----

function decodeJpeg(bytes: Buffer, name: string, maxPixels: number): RgbaImage {
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
  const decoded = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: (maxPixels + 1) / 1e6, // + 1: never refuse what passed checkSize over rounding
    maxMemoryUsageInMB: Math.ceil((maxPixels * JPEG_DECODER_BYTES_PER_PIXEL) / 2 ** 20) + 64,
  });
  return applyOrientation({ width: decoded.width, height: decoded.height, data: decoded.data }, exifOrientation(bytes));
}

/** Frame header (SOFn) markers and the coding each announces; jpeg-js reads the first three. */
const SOF_MARKERS: Record<number, string> = {
  0xc0: 'baseline',
  0xc1: 'extended',
  0xc2: 'progressive',
  0xc3: 'lossless',
  0xc5: 'hierarchical',
  0xc6: 'hierarchical progressive',
  0xc7: 'hierarchical lossless',
  0xc9: 'arithmetic-coded',
  0xca: 'arithmetic-coded progressive',
  0xcb: 'arithmetic-coded lossless',
  0xcd: 'hierarchical arithmetic-coded',
  0xce: 'hierarchical arithmetic-coded progressive',
  0xcf: 'hierarchical arithmetic-coded lossless',
};

interface JpegFrame extends Header {
  marker: number;
  sampling: Array<{ h: number; v: number }>;
}

/** The first frame header (SOFn) of a JPEG: size and sampling factors. Throws if there is none. */
function jpegFrame(bytes: Uint8Array): JpegFrame {
  for (const { marker, start, end } of jpegSegments(bytes)) {
    if (!(marker in SOF_MARKERS)) continue;
    const count = end - start >= 6 ? bytes[start + 5]! : 0;
    if (count < 1 || end - start < 6 + 3 * count) throw new Error(`a frame header of ${end - start} bytes for ${count} components`);
    if (count > 4) throw new Unsupported(`${count} colour components`);
    const sampling = [];
    for (let c = 0; c < count; c++) {
      const hv = bytes[start + 7 + 3 * c]!;
      const [h, v] = [hv >> 4, hv & 15];
      if (h < 1 || h > 4 || v < 1 || v > 4) throw new Error(`sampling factors ${h}×${v}`);
      sampling.push({ h, v });
    }
    return { marker, height: (bytes[start + 1]! << 8) | bytes[start + 2]!, width: (bytes[start + 3]! << 8) | bytes[start + 4]!, sampling };
  }
  throw new Error('no frame header (SOF) before the image data');
}

/**
 * A JPEG's marker segments after SOI, up to and including the first SOS or EOI, each with the
 * bounds of its payload. Never reads past the end; throws at a segment that is malformed or cut off.
 */
function* jpegSegments(bytes: Uint8Array): Generator<{ marker: number; start: number; end: number }> {
  let at = 2;
  for (;;) {
    if (bytes[at] !== 0xff) throw new Error(at >= bytes.length ? 'the file ends inside its headers' : `no marker at byte ${at}`);
    while (bytes[at + 1] === 0xff) at++; // fill bytes
    if (at + 2 > bytes.length) throw new Error('the file ends inside its headers');
    const marker = bytes[at + 1]!;
    if (marker === 0xd9) {
      yield { marker, start: at + 2, end: at + 2 };
      return;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // stand-alone markers
      continue;
    }
    if (marker === 0x00 || marker === 0xd8) throw new Error(`unexpected marker ff${marker.toString(16).padStart(2, '0')} at byte ${at}`);
    if (at + 4 > bytes.length) throw new Error('the file ends inside its headers');
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (length < 2) throw new Error(`segment length ${length} at byte ${at}`);
    if (at + 2 + length > bytes.length) throw new Error(`the file ends inside its headers (a ${length}-byte segment at byte ${at})`);
    yield { marker, start: at + 4, end: at + 2 + length };
    if (marker === 0xda) return;
    at += 2 + length;
  }
}

/** The EXIF Orientation tag (1–8) of a JPEG; 1 when absent or unreadable. Never throws. */
export function exifOrientation(jpegBytes: Uint8Array): number {
  try {
    for (const { marker, start, end } of jpegSegments(jpegBytes)) {
      const exif = [0x45, 0x78, 0x69, 0x66, 0, 0].every((b, i) => jpegBytes[start + i] === b);
      if (marker === 0xe1 && end - start >= 6 && exif) return tiffOrientation(jpegBytes.subarray(start + 6, end));
    }
  } catch {
    // A malformed JPEG: the decoder says what is wrong with it.
  }
  return 1;
}

/** The Orientation tag of a TIFF header's first IFD, every offset checked against the block. */
function tiffOrientation(tiff: Uint8Array): number {
  if (tiff.length < 8) return 1;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return 1;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > tiff.length) return 1;
  const entries = view.getUint16(ifd, little);
  for (let i = 0; i < entries && ifd + 2 + (i + 1) * 12 <= tiff.length; i++) {
    const entry = ifd + 2 + i * 12;
    if (view.getUint16(entry, little) !== 0x0112) continue;
    const type = view.getUint16(entry + 2, little); // SHORT as it should be, LONG from a few writers
    const value = type === 3 ? view.getUint16(entry + 8, little) : type === 4 ? view.getUint32(entry + 8, little) : 0;
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}

// ---- PNG ----

function decodePng(bytes: Uint8Array, name: string, maxPixels: number): RgbaImage {
  const png = pngLayout(bytes);
  checkSize(name, png, maxPixels);
  return decodePngPixels(bytes, png);
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
