// What the streaming JPEG decoder (jpeg-decode.ts) needs, read from the marker segments: the frame,
// the one scan, its Huffman and quantisation tables, the restart interval and the Adobe colour
// transform. It reads only files whose every segment means the same to it as to jpeg-js (which
// decodes the rest): sequential (SOF0/SOF1) Huffman coding, one scan holding every component, no
// table changed after that scan, each table filling its segment exactly, nothing jpeg-js would
// guess about (stand-alone markers, unknown segments). Anything else: undefined.

import { ZIGZAG } from './jpeg-idct.js';
import { jpegSegments } from './jpeg-segments.js';

/** A canonical Huffman code: for each length 1–16, its largest code (-1: none) and where its values start. */
export interface HuffmanTable {
  maxCode: Int32Array;
  firstCode: Int32Array;
  firstIndex: Int32Array;
  values: Uint8Array;
}

export interface ScanComponent {
  /** Index in the frame's component order (the order of the colour channels). */
  index: number;
  h: number;
  v: number;
  dc: HuffmanTable;
  ac: HuffmanTable;
  /** Quantisation table in row-major order. */
  quant: Int32Array;
}

export interface SequentialLayout {
  width: number;
  height: number;
  /** The frame's components in scan order (the order of their blocks in the data). */
  scan: ScanComponent[];
  frameComponents: number;
  /**
   * Rows of blocks jpeg-js decodes for a lone component, padding included (whole MCUs of its own
   * sampling factors): where a restart interval overruns the image, it reads blocks there.
   */
  paddedBlockRows: number;
  /** MCUs between restart markers; 0 for none. */
  restartInterval: number;
  /** The APP14 Adobe segment's transform code (0 where it is cut short), if there is one. */
  adobeTransform?: number;
  /** Where the entropy-coded data begins, and the marker that follows it. */
  dataStart: number;
  dataEnd: number;
}

const APP0 = 0xe0;
const [SOF0, SOF1, DHT, SOS, DQT, DRI, COM, EOI] = [0xc0, 0xc1, 0xc4, 0xda, 0xdb, 0xdd, 0xfe, 0xd9];

/** The layout of a JPEG the streaming decoder reads the way jpeg-js does, or undefined. */
export function sequentialLayout(bytes: Uint8Array): SequentialLayout | undefined {
  const quant: Array<Int32Array | undefined> = [];
  const dcTables: Array<HuffmanTable | undefined> = [];
  const acTables: Array<HuffmanTable | undefined> = [];
  let frame: { width: number; height: number; ids: number[]; hv: number[]; tq: number[] } | undefined;
  let [restartInterval, adobeTransform] = [0, undefined as number | undefined];
  let scan: Array<{ id: number; dc: number; ac: number }> | undefined;
  let dataStart = 0;
  for (const { marker, start, end } of jpegSegments(bytes)) {
    const n = end - start;
    if ((marker >= APP0 && marker <= APP0 + 15) || marker === COM) {
      if (isAdobe(bytes, marker, start, end)) adobeTransform = n > 11 ? bytes[start + 11]! : 0;
    } else if (marker === DQT) {
      if (!readQuantTables(bytes, start, end, quant)) return undefined;
    } else if (marker === DHT) {
      if (!readHuffmanTables(bytes, start, end, dcTables, acTables)) return undefined;
    } else if (marker === DRI) {
      if (n !== 2) return undefined;
      restartInterval = (bytes[start]! << 8) | bytes[start + 1]!;
    } else if (marker === SOF0 || marker === SOF1) {
      const count = bytes[start + 5]!;
      if (frame || n !== 6 + 3 * count) return undefined;
      const field = (c: number, k: number) => bytes[start + 6 + 3 * c + k]!;
      const ids = Array.from({ length: count }, (_, c) => field(c, 0));
      if (new Set(ids).size !== count) return undefined;
      const [height, width] = [(bytes[start + 1]! << 8) | bytes[start + 2]!, (bytes[start + 3]! << 8) | bytes[start + 4]!];
      frame = { width, height, ids, hv: ids.map((_, c) => field(c, 1)), tq: ids.map((_, c) => field(c, 2)) };
    } else if (marker === SOS) {
      const count = bytes[start]!;
      if (!frame || n !== 4 + 2 * count) return undefined;
      scan = Array.from({ length: count }, (_, c) => ({
        id: bytes[start + 1 + 2 * c]!,
        dc: bytes[start + 2 + 2 * c]! >> 4,
        ac: bytes[start + 2 + 2 * c]! & 15,
      }));
      dataStart = end;
    } else {
      return undefined; // another frame type, a stand-alone marker, DNL, EOI before the scan, …
    }
  }
  if (!frame || !scan) return undefined;
  // One scan with every component (a frame of several components in one scan per component is
  // progressive-like: jpeg-js holds it whole). Two components jpeg-js refuses; four need Adobe's.
  const count = frame.ids.length;
  if (scan.length !== count || new Set(scan.map((c) => c.id)).size !== count || count === 2) return undefined;
  if (count === 4 && adobeTransform === undefined) return undefined;
  const components: ScanComponent[] = [];
  for (const { id, dc, ac } of scan) {
    const index = frame.ids.indexOf(id);
    const [dcTable, acTable, table] = [dcTables[dc], acTables[ac], quant[frame.tq[index]!]];
    if (index < 0 || !dcTable || !acTable || !table) return undefined;
    // A lone component is coded block by block, whatever its sampling factors.
    const [h, v] = count === 1 ? [1, 1] : [frame.hv[index]! >> 4, frame.hv[index]! & 15];
    components.push({ index, h, v, dc: dcTable, ac: acTable, quant: table });
  }
  const dataEnd = scanEnd(bytes, dataStart);
  if (dataEnd === undefined || !onlyMetadataAfter(bytes, dataEnd)) return undefined;
  const { width, height } = frame;
  const paddedBlockRows = Math.ceil(height / 8 / (frame.hv[0]! & 15)) * (frame.hv[0]! & 15);
  return { width, height, scan: components, frameComponents: count, paddedBlockRows, restartInterval, adobeTransform, dataStart, dataEnd };
}

/** An APP14 segment starting "Adobe\0" (jpeg-js reads its colour transform code at byte 11). */
function isAdobe(bytes: Uint8Array, marker: number, start: number, end: number): boolean {
  return marker === APP0 + 14 && end - start >= 6 && [0x41, 0x64, 0x6f, 0x62, 0x65, 0].every((b, i) => bytes[start + i] === b);
}

/** Reads a DQT segment's tables into `quant` (row-major); false unless they fill it exactly. */
function readQuantTables(bytes: Uint8Array, start: number, end: number, quant: Array<Int32Array | undefined>): boolean {
  for (let at = start; at < end;) {
    const spec = bytes[at++]!;
    const wide = spec >> 4;
    if (wide > 1 || at + 64 * (wide + 1) > end) return false;
    const table = new Int32Array(64);
    for (let k = 0; k < 64; k++, at += wide + 1) table[ZIGZAG[k]!] = wide ? (bytes[at]! << 8) | bytes[at + 1]! : bytes[at]!;
    quant[spec & 15] = table;
  }
  return true;
}

/** Reads a DHT segment's tables (class 0 DC, any other AC, as jpeg-js); false unless they fill it exactly and each is a prefix code. */
function readHuffmanTables(
  bytes: Uint8Array,
  start: number,
  end: number,
  dc: Array<HuffmanTable | undefined>,
  ac: Array<HuffmanTable | undefined>,
): boolean {
  for (let at = start; at < end;) {
    if (at + 17 > end) return false;
    const spec = bytes[at]!;
    const counts = bytes.subarray(at + 1, at + 17);
    const total = counts.reduce((a, b) => a + b, 0);
    if (at + 17 + total > end) return false;
    const table = huffmanTable(counts, bytes.slice(at + 17, at + 17 + total));
    if (!table) return false;
    (spec >> 4 === 0 ? dc : ac)[spec & 15] = table;
    at += 17 + total;
  }
  return true;
}

/** The canonical code for `counts[l - 1]` codes of each length l; undefined if they overflow. */
function huffmanTable(counts: Uint8Array, values: Uint8Array): HuffmanTable | undefined {
  const [maxCode, firstCode, firstIndex] = [new Int32Array(17).fill(-1), new Int32Array(17), new Int32Array(17)];
  let [code, index] = [0, 0];
  for (let length = 1; length <= 16; length++) {
    const count = counts[length - 1]!;
    [firstCode[length], firstIndex[length]] = [code, index];
    code += count;
    index += count;
    if (code > 2 ** length) return undefined;
    if (count) maxCode[length] = code - 1;
    code <<= 1;
  }
  return { maxCode, firstCode, firstIndex, values };
}

/** The first marker after the scan's data (not a stuffed 0xff00 nor a restart marker); undefined if none. */
function scanEnd(bytes: Uint8Array, from: number): number | undefined {
  for (let at = from; at + 1 < bytes.length; at++) {
    if (bytes[at] !== 0xff) continue;
    const next = bytes[at + 1]!;
    if (next !== 0 && !(next >= 0xd0 && next <= 0xd7)) return at;
  }
  return undefined;
}

/** Whether only APPn (but Adobe's) and COM segments come between `from` and EOI. */
function onlyMetadataAfter(bytes: Uint8Array, from: number): boolean {
  try {
    for (const { marker, start, end } of jpegSegments(bytes, from)) {
      if (marker === EOI) return true;
      if (!((marker >= APP0 && marker <= APP0 + 15) || marker === COM) || isAdobe(bytes, marker, start, end)) return false;
    }
  } catch {
    // cut off or malformed: jpeg-js decides
  }
  return false;
}
