// Hostile image files for the image-reading tests, made at run time from the small fixtures:
// decompression bombs (headers claiming huge sizes), broken EXIF blocks, and seeded mutations
// (bit flips, truncations, inserted bytes, extreme sizes in IHDR / SOF) for the fuzz test.

import { deflateSync } from 'node:zlib';
import { rng } from './random.js';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function pngChunk(type: string, data: Uint8Array): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  chunk.set(data, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An 8-bit RGB PNG whose header claims width×height, with `pixelBytes` zero bytes of (deflated) data. */
export function pngClaiming(width: number, height: number, pixelBytes = 0, interlaced = false): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width >>> 0, 0);
  ihdr.writeUInt32BE(height >>> 0, 4);
  ihdr.set([8, 2, 0, 0, interlaced ? 1 : 0], 8);
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(pixelBytes))),
    pngChunk('IEND', new Uint8Array()),
  ]);
}

/** The PNG with every whole chunk's CRC recomputed, so that a decoder reads what was mutated. */
export function withPngCrcs(png: Uint8Array): Buffer {
  const out = Buffer.from(png);
  for (let at = 8; at + 12 <= out.length;) {
    const end = at + 8 + out.readUInt32BE(at);
    if (end + 4 > out.length) break;
    out.writeUInt32BE(crc32(out.subarray(at + 4, end)), end);
    at = end + 4;
  }
  return out;
}

/** Where a PNG's IHDR width field is (its height follows). */
const IHDR_WIDTH = 16;

/** The PNG with IHDR's size replaced (and IHDR's CRC fixed, so that only the size is wrong). */
export function pngWithSize(png: Uint8Array, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  out.writeUInt32BE(width >>> 0, IHDR_WIDTH);
  out.writeUInt32BE(height >>> 0, IHDR_WIDTH + 4);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

/** Offset of a JPEG's first frame header (SOF0/1/2) marker, found by walking the segments. */
function sofOffset(jpeg: Uint8Array): number {
  for (let at = 2; at + 4 <= jpeg.length; at += 2 + ((jpeg[at + 2]! << 8) | jpeg[at + 3]!)) {
    if (jpeg[at] !== 0xff) break;
    if (jpeg[at + 1]! >= 0xc0 && jpeg[at + 1]! <= 0xc2) return at;
  }
  throw new Error('no SOF in the fixture');
}

/** The JPEG with its frame header's size replaced (16-bit fields: larger values wrap). */
export function jpegWithSize(jpeg: Uint8Array, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  const sof = sofOffset(jpeg);
  out.writeUInt16BE(height & 0xffff, sof + 5);
  out.writeUInt16BE(width & 0xffff, sof + 7);
  return out;
}

/** The JPEG with an APP1 "Exif" segment holding `tiff` (its length field may be overridden). */
export function jpegWithExif(jpeg: Uint8Array, tiff: number[], lengthField?: number): Buffer {
  const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const length = lengthField ?? payload.length + 2;
  return Buffer.from([...jpeg.subarray(0, 2), 0xff, 0xe1, length >> 8, length & 0xff, ...payload, ...jpeg.subarray(2)]);
}

/** A little-endian TIFF header whose IFD0 (at `ifdOffset`) claims `entries` entries; the first is Orientation. */
export function tiffBlock(orientation: number, { ifdOffset = 8, entries = 1 } = {}): number[] {
  const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
  return [
    0x49,
    0x49,
    0x2a,
    0x00,
    ...u32(ifdOffset),
    entries & 0xff,
    entries >> 8,
    0x12,
    0x01,
    3,
    0,
    1,
    0,
    0,
    0,
    orientation,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ];
}

export type Mutation = { name: string; bytes: Buffer };

const EXTREMES = [0, 1, 65535, 0x7fffffff];

/**
 * `count` deterministic mutations of a valid JPEG or PNG: bit flips, truncations, inserted bytes,
 * and sizes set to extremes (and to just under the default pixel limit) in IHDR / SOF.
 */
export function mutations(original: Uint8Array, kind: 'jpeg' | 'png', count: number, seed: number): Mutation[] {
  const next = rng(seed);
  const int = (n: number) => Math.floor(next() * n);
  const withSize = (w: number, h: number) => (kind === 'png' ? pngWithSize(original, w, h) : jpegWithSize(original, w, h));
  const [w0, h0] = kind === 'png' ? [8, 6] : [16, 12];
  const sizes: Array<[number, number]> = [
    [14142, 14142],
    [65535, 3051],
    [3051, 65535],
  ];
  for (const e of EXTREMES) sizes.push([e, h0], [w0, e], [e, e]);
  const out: Mutation[] = sizes.map(([w, h]) => ({ name: `size ${w}x${h}`, bytes: withSize(w, h) }));
  while (out.length < count) {
    const bytes = Buffer.from(original);
    const which = int(4);
    if (which === 0) {
      const flips = 1 + int(4);
      for (let i = 0; i < flips; i++) bytes[int(bytes.length)]! ^= 1 << int(8);
      if (kind === 'png' && int(2)) out.push({ name: `${flips} bit flips, CRCs fixed`, bytes: withPngCrcs(bytes) });
      else out.push({ name: `${flips} bit flips`, bytes });
    } else if (which === 1) {
      const at = int(bytes.length);
      out.push({ name: `truncated to ${at} bytes`, bytes: bytes.subarray(0, at) });
    } else if (which === 2) {
      const at = int(bytes.length);
      const inserted = Buffer.from(Array.from({ length: 1 + int(8) }, () => (next() < 0.3 ? 0xff : int(256))));
      out.push({
        name: `${inserted.length} bytes inserted at ${at}`,
        bytes: Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at)]),
      });
    } else {
      const [w, h] = [EXTREMES[int(4)]! ^ int(2), int(2) ? h0 : EXTREMES[int(4)]!];
      const sized = withSize(w, h);
      sized[int(sized.length)]! ^= 1 << int(8);
      out.push({ name: `size ${w}x${h} and a bit flip`, bytes: sized });
    }
  }
  return out.slice(0, count);
}
