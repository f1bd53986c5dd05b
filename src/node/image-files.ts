// Image files: reading refuses what is not a regular file, or is too large, before reading a byte
// (a path may name a folder, /dev/zero or a FIFO); decoding is src/io/image.ts's. openImage reads a
// file and its size, and decodes it later, when what the run needs is known. Writing is atomic.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { decodeImage, encodeImage, imageSize, type DecodeImageOptions } from '../io/image.js';
import type { ReducedImage, ReduceRequest } from '../io/decode-reduce.js';
import type { RgbaImage } from '../style/image-tensor.js';
import { UserError } from '../util/errors.js';
import { fileKind, READ_NONBLOCK } from './regular-file.js';
import { writeFileAtomic } from './weights-files.js';

/** Image files larger than this are refused unread (1 GiB; a 200-megapixel JPEG is far smaller). */
export const MAX_IMAGE_FILE_BYTES = 2 ** 30;

export interface ReadImageOptions extends DecodeImageOptions {
  /** Refuse files larger than this many bytes before reading them (default MAX_IMAGE_FILE_BYTES). */
  maxFileBytes?: number;
}

export function readImage(path: string, options: ReadImageOptions = {}): ReducedImage {
  return decodeImage(readImageFile(path, options.maxFileBytes ?? MAX_IMAGE_FILE_BYTES), path, options);
}

/** An image file read, its header checked: its upright size, and its pixels when asked (reduced as they decode, if huge). */
export interface OpenedImage {
  width: number;
  height: number;
  decode(reduce?: ReduceRequest): ReducedImage;
}

export function openImage(path: string, options: ReadImageOptions = {}): OpenedImage {
  const bytes = readImageFile(path, options.maxFileBytes ?? MAX_IMAGE_FILE_BYTES);
  const { width, height } = imageSize(bytes, path, options);
  return { width, height, decode: (reduce) => decodeImage(bytes, path, { ...options, reduce }) };
}

/** PNG for .png, JPEG (with `quality` 1–100) for .jpg/.jpeg; written atomically. */
export function writeImage(path: string, image: RgbaImage, quality = 92): void {
  writeFileAtomic(path, encodeImage(path, image, quality));
}

function readImageFile(path: string, maxBytes: number): Uint8Array {
  let fd: number;
  try {
    // Non-blocking, so that opening a FIFO does not wait for a writer (it is refused below).
    fd = openSync(path, READ_NONBLOCK);
  } catch (err) {
    throw new UserError(`${path}: cannot read the image (${reason(err)})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new UserError(
        `${path}: cannot read the image (it is ${fileKind(stat)}, not a regular file); give the path of a JPEG or PNG file`,
      );
    if (stat.size > maxBytes) {
      throw new UserError(
        `${path}: cannot read the image (the file is ${bytesText(stat.size)}, over the ${bytesText(maxBytes)} limit for image files); use a smaller or better-compressed image`,
      );
    }
    const bytes = new Uint8Array(stat.size);
    let filled = 0;
    while (filled < bytes.length) {
      const n = readSync(fd, bytes, filled, bytes.length - filled, null);
      if (n === 0) break; // the file shrank meanwhile
      filled += n;
    }
    return bytes.subarray(0, filled);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path}: cannot read the image (${reason(err)})`);
  } finally {
    closeSync(fd);
  }
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'it is a folder, not a file',
    ENOTDIR: 'a folder in the path is a file',
  };
  return (code && known[code]) ?? code ?? (err as Error).message;
}

function bytesText(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const)
    if (bytes >= size) return `${+(bytes / size).toPrecision(3)} ${unit}`;
  return `${bytes} bytes`;
}
