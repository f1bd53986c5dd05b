// A small PNG writer for the decoder's tests: every colour type and bit depth, Adam7 interlacing,
// every filter type (row y of each pass uses filter (y + filterOffset) % 5), PLTE and tRNS, and the
// zlib stream split across IDAT chunks of a chosen size. Samples are given already in the image's
// own depth, `channels` per pixel, row-major.

import { deflateSync } from 'node:zlib';
import { pngChunk } from './hostile-images.js';

export interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  /** width × height × channels samples, each < 2^depth. */
  samples: ArrayLike<number>;
  interlaced?: boolean;
  /** RGB triples (colour type 3). */
  palette?: number[];
  /** tRNS: palette alphas, or the one transparent gray / RGB value. */
  transparency?: number[];
  /** Bytes per IDAT chunk (default: one chunk). */
  idatBytes?: number;
  filterOffset?: number;
}

/** Samples per pixel of each PNG colour type. */
export const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
/** Adam7's passes as [x0, y0, dx, dy], written out from the PNG spec apart from src/io/png-decode.ts's own copy: the test writers are an oracle for it. */
export const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** The filtered scanlines (filter byte + bytes) of one pass. */
function passLines(spec: PngSpec, x0: number, y0: number, dx: number, dy: number, lines: Buffer[]): void {
  const channels = CHANNELS[spec.colorType];
  const w = Math.ceil(Math.max(0, spec.width - x0) / dx);
  const h = Math.ceil(Math.max(0, spec.height - y0) / dy);
  if (w === 0 || h === 0) return;
  const rowBytes = Math.ceil((w * channels * spec.depth) / 8);
  const back = Math.max(1, (channels * spec.depth) >> 3);
  let prev = new Uint8Array(rowBytes);
  for (let py = 0; py < h; py++) {
    const raw = new Uint8Array(rowBytes);
    const y = y0 + py * dy;
    for (let px = 0, bit = 0; px < w; px++) {
      const x = x0 + px * dx;
      for (let c = 0; c < channels; c++, bit += spec.depth) {
        const v = spec.samples[(y * spec.width + x) * channels + c]!;
        if (spec.depth === 16) raw.set([v >> 8, v & 255], bit >> 3);
        else raw[bit >> 3]! |= v << (8 - spec.depth - (bit & 7));
      }
    }
    const filter = (py + (spec.filterOffset ?? 0)) % 5;
    const line = Buffer.alloc(rowBytes + 1);
    line[0] = filter;
    for (let i = 0; i < rowBytes; i++) {
      const [a, b, c] = [i >= back ? raw[i - back]! : 0, prev[i]!, i >= back ? prev[i - back]! : 0];
      const predicted = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter]!;
      line[i + 1] = (raw[i]! - predicted) & 255;
    }
    lines.push(line);
    prev = raw;
  }
}

export function writePng(spec: PngSpec): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr.set([spec.depth, spec.colorType, 0, 0, spec.interlaced ? 1 : 0], 8);
  const lines: Buffer[] = [];
  for (const [x0, y0, dx, dy] of spec.interlaced ? ADAM7 : [[0, 0, 1, 1] as const]) passLines(spec, x0, y0, dx, dy, lines);
  const zlib = deflateSync(Buffer.concat(lines));
  const step = spec.idatBytes ?? zlib.length;
  const chunks = [pngChunk('IHDR', ihdr)];
  if (spec.palette) chunks.push(pngChunk('PLTE', Uint8Array.from(spec.palette)));
  if (spec.transparency) {
    const trns =
      spec.colorType === 3 ? Uint8Array.from(spec.transparency) : Buffer.from(spec.transparency.flatMap((v) => [v >> 8, v & 255]));
    chunks.push(pngChunk('tRNS', trns));
  }
  for (let at = 0; at < zlib.length; at += step) chunks.push(pngChunk('IDAT', zlib.subarray(at, at + step)));
  chunks.push(pngChunk('IEND', new Uint8Array()));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]);
}
