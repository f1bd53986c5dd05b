// Decompression bombs under the pixel cap. PNG: all zeros (every row filter 0, every sample 0),
// deflated ~1000:1 as a zlib stream fed zeros a megabyte at a time. JPEG: every 8×8 block coded
// in 2 bits, or 1 for a progressive one (Huffman tables whose only codes are DC difference 0 and
// end-of-block). Run as a
// script to write one:
//   node --import tsx test/helpers/image-bombs.ts <out.png> <width> <height> <colour type> <depth> [interlaced]
//   node --import tsx test/helpers/image-bombs.ts <out.jpg> <width> <height> <components> [progressive]

import { writeFileSync } from 'node:fs';
import { createDeflate } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { pngChunk } from './hostile-images.js';
import { ADAM7, CHANNELS } from './png-writer.js';

/** zlib-compressed `length` zero bytes, without ever holding them. */
async function deflatedZeros(length: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9, memLevel: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (part: Buffer) => parts.push(part));
  const done = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  const zeros = Buffer.alloc(1 << 20);
  for (let left = length; left > 0; left -= zeros.length) {
    if (!deflate.write(zeros.subarray(0, Math.min(left, zeros.length)))) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return Buffer.concat(parts);
}

/** An all-zero PNG of the given size and format (a palette one gets a 1-entry palette). */
export async function zeroPng(width: number, height: number, colorType: number, depth: number, interlaced = false): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([depth, colorType, 0, 0, interlaced ? 1 : 0], 8);
  let inflated = 0;
  for (const [x0, y0, dx, dy] of interlaced ? ADAM7 : [[0, 0, 1, 1] as const]) {
    const [w, h] = [Math.ceil(Math.max(0, width - x0) / dx), Math.ceil(Math.max(0, height - y0) / dy)];
    if (w > 0 && h > 0) inflated += h * (1 + Math.ceil((w * (CHANNELS as Record<number, number>)[colorType]! * depth) / 8));
  }
  const data = await deflatedZeros(inflated);
  const chunks = [pngChunk('IHDR', ihdr)];
  if (colorType === 3) chunks.push(pngChunk('PLTE', new Uint8Array(3)));
  // IDAT chunks of 64 KiB, as encoders write them.
  for (let at = 0; at < data.length; at += 1 << 16) chunks.push(pngChunk('IDAT', data.subarray(at, at + (1 << 16))));
  chunks.push(pngChunk('IEND', new Uint8Array()));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]);
}

/**
 * A JPEG of `components` (1 or 3, no subsampling) whose blocks are all flat mid-gray: baseline,
 * every block in 2 bits; or progressive, one DC scan of 1 bit a block (and no AC scan).
 */
export function flatJpeg(width: number, height: number, components: 1 | 3, progressive = false): Buffer {
  const segment = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];
  const ids = Array.from({ length: components }, (_, i) => i + 1);
  // One code of length 1 in each table: DC difference category 0, and AC end-of-block (0x00).
  const table = (classAndId: number) => [classAndId, 1, ...new Array(15).fill(0), 0x00];
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8) * components;
  const bitsPerBlock = progressive ? 1 : 2;
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    Buffer.from(segment(0xdb, [0, ...new Array(64).fill(1)])),
    Buffer.from(
      segment(progressive ? 0xc2 : 0xc0, [
        8,
        height >> 8,
        height & 255,
        width >> 8,
        width & 255,
        components,
        ...ids.flatMap((id) => [id, 0x11, 0]),
      ]),
    ),
    Buffer.from(segment(0xc4, [...table(0x00), ...table(0x10)])),
    Buffer.from(segment(0xda, [components, ...ids.flatMap((id) => [id, 0x00]), 0, progressive ? 0 : 63, 0])),
    Buffer.alloc(Math.ceil((blocks * bitsPerBlock) / 8)),
    Buffer.from([0xff, 0xd9]),
  ]);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [out, ...numbers] = process.argv.slice(2);
  const [width, height, a, depth, interlaced] = numbers.map(Number) as [number, number, number, number, number?];
  const jpeg = /\.jpe?g$/i.test(out!);
  writeFileSync(out!, jpeg ? flatJpeg(width, height, a as 1 | 3, depth === 1) : await zeroPng(width, height, a, depth, interlaced === 1));
}
