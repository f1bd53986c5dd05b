// Sequential (baseline) JPEG -> 8-bit RGBA, one row of MCUs at a time: each block is decoded,
// dequantised and inverse-transformed into a ring of two MCU rows of samples per component, and
// every output row those rows cover is converted into the output at once. So a JPEG needs its
// output, the file and two MCU rows (jpeg-js held every block as an Int32Array, every component's
// samples and a packed copy: ~32 bytes a pixel). The pixels are jpeg-js's, byte for byte: its
// Huffman decoding and restart handling, its IDCT (jpeg-idct.ts), its nearest-sample upsampling
// and its colour conversion (YCbCr always for three components; Adobe CMYK/YCCK for four).
// Given a BoxReducer (decode-reduce.ts), each output row goes to it instead of the output.

import type { RgbaImage } from '../style/image-tensor.js';
import type { BoxReducer } from './decode-reduce.js';
import { idctBlock, ZIGZAG } from './jpeg-idct.js';
import type { HuffmanTable, ScanComponent, SequentialLayout } from './jpeg-layout.js';

/** Reads the entropy-coded data bit by bit, as jpeg-js does (0xff00 is a 0xff; any other marker is an error). */
class BitReader {
  bits = 0;
  count = 0;
  constructor(
    private readonly bytes: Uint8Array,
    public offset: number,
  ) {}

  bit(): number {
    if (this.count > 0) return (this.bits >> --this.count) & 1;
    if (this.offset >= this.bytes.length) throw new Error('the image data ends before its last block');
    this.bits = this.bytes[this.offset++]!;
    if (this.bits === 0xff) {
      const next = this.bytes[this.offset++];
      if (next) throw new Error(`unexpected marker ff${next.toString(16)} inside the image data`);
    }
    this.count = 7;
    return this.bits >>> 7;
  }

  receive(length: number): number {
    let n = 0;
    for (; length > 0; length--) n = (n << 1) | this.bit();
    return n;
  }

  receiveAndExtend(length: number): number {
    const n = this.receive(length);
    return n >= 1 << (length - 1) ? n : n + (-1 << length) + 1;
  }

  huffman(table: HuffmanTable): number {
    let code = 0;
    for (let length = 1; length <= 16; length++) {
      code = (code << 1) | this.bit();
      if (code <= table.maxCode[length]!) return table.values[table.firstIndex[length]! + code - table.firstCode[length]!]!;
    }
    throw new Error('an invalid Huffman code in the image data');
  }
}

/** A component's samples: a ring of two MCU rows. */
interface Plane {
  c: ScanComponent;
  pred: number;
  lineWidth: number;
  ringLines: number;
  samples: Uint8Array;
  /** Output column x reads sample column xIndex[x]; output row y reads line rowScale × y. */
  xIndex: Int32Array;
  rowScale: number;
}

/** Decodes a file whose layout sequentialLayout gave (reduced by `reducer` when given); undefined where its data ends elsewhere than the layout found (jpeg-js decides). */
export function decodeSequential(bytes: Uint8Array, layout: SequentialLayout, reducer?: BoxReducer): RgbaImage | undefined {
  const { width, height, scan, restartInterval } = layout;
  const single = scan.length === 1;
  const maxH = Math.max(...scan.map((c) => c.h));
  const maxV = Math.max(...scan.map((c) => c.v));
  const mcusPerLine = Math.ceil(width / 8 / maxH);
  const mcuRows = Math.ceil(height / 8 / maxV);
  const planes: Plane[] = scan.map((c) => {
    const [lineWidth, ringLines] = [mcusPerLine * c.h * 8, 2 * c.v * 8];
    const [sx, sy] = [c.h / maxH, c.v / maxV];
    // As jpeg-js indexes (× 1: its getData scale, output size over frame size), so rounding agrees.
    const xIndex = Int32Array.from({ length: width }, (_, x) => 0 | (x * sx * 1));
    return { c, pred: 0, lineWidth, ringLines, samples: new Uint8Array(lineWidth * ringLines), xIndex, rowScale: sy };
  });
  const out = new Uint8Array(width * (reducer ? 1 : height) * 4);
  const byFrame = [...planes].sort((a, b) => a.c.index - b.c.index);
  const toOut = rowEmitter(layout, byFrame, out, !reducer);
  const emit = reducer
    ? (y: number) => {
        toOut(y);
        reducer.add(y, 0, 1, out, width);
      }
    : toOut;
  const [block, scratch] = [new Int32Array(64), new Int32Array(64)];
  const reader = new BitReader(bytes, layout.dataStart);
  const decodeBlock = (p: Plane, row: number, col: number, store: boolean) => {
    block.fill(0);
    readBlock(reader, p, block);
    if (!store) return;
    const at = ((row * 8) % p.ringLines) * p.lineWidth + col * 8;
    idctBlock(block, p.c.quant, scratch, p.samples, at, p.lineWidth);
  };
  const mcuExpected = mcusPerLine * mcuRows;
  const interval = restartInterval || mcuExpected;
  let [mcu, y] = [0, 0];
  /** A new MCU row starts as blocks of 128 (jpeg-js's for blocks the data never reaches). */
  const startRow = (row: number) => {
    for (const p of planes) {
      const first = (row * p.c.v * 8) % p.ringLines;
      p.samples.fill(128, first * p.lineWidth, (first + p.c.v * 8) * p.lineWidth);
    }
  };
  /** Output rows whose samples are all in the ring once `rows` MCU rows are decoded. */
  const emitUpTo = (rows: number) => {
    for (; y < height && planes.every((p) => (0 | (y * p.rowScale * 1)) < rows * p.c.v * 8); y++) emit(y);
  };
  while (mcu < mcuExpected) {
    for (const p of planes) p.pred = 0;
    for (let n = 0; n < interval; n++) {
      if (single) {
        // jpeg-js reads blocks past the last (in padding rows) until the interval ends.
        const [row, col] = [Math.floor(mcu / mcusPerLine), mcu % mcusPerLine];
        if (col === 0 && mcu < mcuExpected) startRow(row);
        if (row < layout.paddedBlockRows) decodeBlock(planes[0]!, row, col, mcu < mcuExpected);
      } else {
        const [row, col] = [Math.floor(mcu / mcusPerLine), mcu % mcusPerLine];
        if (col === 0) startRow(row);
        for (const p of planes)
          for (let j = 0; j < p.c.v; j++) for (let k = 0; k < p.c.h; k++) decodeBlock(p, row * p.c.v + j, col * p.c.h + k, true);
      }
      mcu++;
      if (mcu <= mcuExpected && mcu % mcusPerLine === 0) emitUpTo(mcu / mcusPerLine);
      if (!single && mcu === mcuExpected) break;
    }
    if (mcu === mcuExpected) reader.offset = skipToMarker(bytes, reader.offset);
    reader.count = 0;
    const marker = (bytes[reader.offset]! << 8) | bytes[reader.offset + 1]!;
    if (!(marker >= 0xff00)) throw new Error('no marker after the image data');
    if (marker >= 0xffd0 && marker <= 0xffd7) reader.offset += 2;
    else break;
  }
  if (reader.offset !== layout.dataEnd) return undefined;
  // Data that ends early (at a marker after a restart interval) leaves the remaining blocks 128.
  let rows = Math.ceil(Math.min(mcu, mcuExpected) / mcusPerLine);
  emitUpTo(rows); // a row cut short was started
  for (; rows < mcuRows; rows++) {
    startRow(rows);
    emitUpTo(rows + 1);
  }
  return reducer ? reducer.image() : { width, height, data: out };
}

/** One block's coefficients (row-major) as jpeg-js's decodeBaseline reads them. */
function readBlock(reader: BitReader, p: Plane, block: Int32Array): void {
  const t = reader.huffman(p.c.dc);
  const diff = t === 0 ? 0 : reader.receiveAndExtend(t);
  block[0] = p.pred += diff;
  for (let k = 1; k < 64;) {
    const rs = reader.huffman(p.c.ac);
    const [s, r] = [rs & 15, rs >> 4];
    if (s === 0) {
      if (r < 15) break;
      k += 16;
      continue;
    }
    k += r;
    const value = reader.receiveAndExtend(s);
    if (k < 64) block[ZIGZAG[k]!] = value; // past the block: read, and dropped
    k++;
  }
}

/** Where jpeg-js looks for the marker after the last block: the next 0xff not followed by 0. */
function skipToMarker(bytes: Uint8Array, offset: number): number {
  do {
    if (bytes[offset] === 0xff && bytes[offset + 1] !== 0) break;
    offset += 1;
  } while (offset < bytes.length - 2);
  return offset;
}

function clamp(a: number): number {
  return a < 0 ? 0 : a > 255 ? 255 : a;
}

/** What converts output row y from the planes (in frame order) into RGBA, as jpeg-js's getData and copyToImageData do (into out's row y, or its first row when not `whole`). */
function rowEmitter(layout: SequentialLayout, planes: Plane[], out: Uint8Array, whole: boolean): (y: number) => void {
  const { width } = layout;
  const cmykTransform = !!layout.adobeTransform;
  return (y) => {
    const lines = planes.map((p) => {
      const line = (0 | (y * p.rowScale * 1)) % p.ringLines;
      return p.samples.subarray(line * p.lineWidth, (line + 1) * p.lineWidth);
    });
    const xs = planes.map((p) => p.xIndex);
    let o = whole ? y * width * 4 : 0;
    if (planes.length === 1) {
      const [l0, x0] = [lines[0]!, xs[0]!];
      for (let x = 0; x < width; x++, o += 4) {
        out[o] = out[o + 1] = out[o + 2] = l0[x0[x]!]!;
        out[o + 3] = 255;
      }
    } else if (planes.length === 3) {
      const [l0, l1, l2] = lines as [Uint8Array, Uint8Array, Uint8Array];
      const [x0, x1, x2] = xs as [Int32Array, Int32Array, Int32Array];
      for (let x = 0; x < width; x++, o += 4) {
        const Y = l0[x0[x]!]!;
        const Cb = l1[x1[x]!]!;
        const Cr = l2[x2[x]!]!;
        out[o] = clamp(Y + 1.402 * (Cr - 128));
        out[o + 1] = clamp(Y - 0.3441363 * (Cb - 128) - 0.71413636 * (Cr - 128));
        out[o + 2] = clamp(Y + 1.772 * (Cb - 128));
        out[o + 3] = 255;
      }
    } else {
      const [l0, l1, l2, l3] = lines as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      const [x0, x1, x2, x3] = xs as [Int32Array, Int32Array, Int32Array, Int32Array];
      for (let x = 0; x < width; x++, o += 4) {
        const a = l0[x0[x]!]!;
        const b = l1[x1[x]!]!;
        const c = l2[x2[x]!]!;
        // jpeg-js's packed CMYK (inverted), truncated to bytes, then composed with K.
        let C = 255 - a;
        let M = 255 - b;
        let Ye = 255 - c;
        if (cmykTransform) {
          C = (255 - (255 - clamp(a + 1.402 * (c - 128)))) | 0;
          M = (255 - (255 - clamp(a - 0.3441363 * (b - 128) - 0.71413636 * (c - 128)))) | 0;
          Ye = (255 - (255 - clamp(a + 1.772 * (b - 128)))) | 0;
        }
        const K = 255 - l3[x3[x]!]!;
        out[o] = 255 - clamp(C * (1 - K / 255) + K);
        out[o + 1] = 255 - clamp(M * (1 - K / 255) + K);
        out[o + 2] = 255 - clamp(Ye * (1 - K / 255) + K);
        out[o + 3] = 255;
      }
    }
  };
}
