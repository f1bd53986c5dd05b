// Sequential (baseline) JPEGs of random coefficients, for checking a decoder against jpeg-js on
// every sampling, size, restart interval and colour model: no forward DCT, just seeded random
// DC values and sparse AC runs (large enough to clamp), coded with fixed-length Huffman codes
// (4 bits for each DC category, 8 for each AC run/size symbol).

import { rng } from './random.js';

export interface JpegComponent {
  id: number;
  h: number;
  v: number;
  /** Quantisation table id. */
  tq: number;
}

export interface RandomJpegSpec {
  width: number;
  height: number;
  components: JpegComponent[];
  seed: number;
  /** The scan's component order, as indices into `components` (default: frame order). */
  scanOrder?: number[];
  restartInterval?: number;
  /** Adds an APP14 "Adobe" segment with this colour transform code. */
  adobeTransform?: number;
  /** 16-bit quantisation tables instead of 8-bit. */
  wideQuant?: boolean;
  /** Largest |coefficient| (default 60; DC values up to 16×). */
  amplitude?: number;
  /** Ends the data (EOI) after this many MCUs, at a restart interval's end. */
  stopAfterMcus?: number;
  /** A lone component: code blocks into its padding rows until the last interval ends, as jpeg-js reads them. */
  fillLastInterval?: boolean;
}

const AC_SYMBOLS = [0x00, 0xf0, ...Array.from({ length: 160 }, (_, i) => ((i / 10) << 4) | ((i % 10) + 1))];

class BitWriter {
  bytes: number[] = [];
  private acc = 0;
  private n = 0;
  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.n === 8) this.flushByte();
    }
  }
  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0);
    [this.acc, this.n] = [0, 0];
  }
  /** Pads with 1 bits to a byte boundary. */
  align(): void {
    while (this.n) this.write(1, 1);
  }
}

function category(value: number): number {
  let [s, a] = [0, Math.abs(value)];
  while (a) [s, a] = [s + 1, a >> 1];
  return s;
}

function writeValue(w: BitWriter, value: number, s: number): void {
  if (s) w.write(value >= 0 ? value : value + (1 << s) - 1, s);
}

export function randomJpeg(spec: RandomJpegSpec): Buffer {
  const { width, height, components } = spec;
  const rand = rng(spec.seed);
  const amplitude = spec.amplitude ?? 60;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const segment = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];
  const out: number[] = [0xff, 0xd8];
  if (spec.adobeTransform !== undefined)
    out.push(...segment(0xee, [0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, spec.adobeTransform]));
  for (const tq of new Set(components.map((c) => c.tq))) {
    const values = Array.from({ length: 64 }, () => int(1, spec.wideQuant ? 400 : 99));
    out.push(...segment(0xdb, [(spec.wideQuant ? 0x10 : 0) | tq, ...values.flatMap((q) => (spec.wideQuant ? [q >> 8, q & 255] : [q]))]));
  }
  const sof = [
    8,
    height >> 8,
    height & 255,
    width >> 8,
    width & 255,
    components.length,
    ...components.flatMap((c) => [c.id, (c.h << 4) | c.v, c.tq]),
  ];
  out.push(...segment(0xc0, sof));
  out.push(...segment(0xc4, [0x00, 0, 0, 0, 12, ...new Array(12).fill(0), ...Array.from({ length: 12 }, (_, i) => i)]));
  out.push(...segment(0xc4, [0x10, 0, 0, 0, 0, 0, 0, 0, AC_SYMBOLS.length, ...new Array(8).fill(0), ...AC_SYMBOLS]));
  if (spec.restartInterval) out.push(...segment(0xdd, [spec.restartInterval >> 8, spec.restartInterval & 255]));
  const order = spec.scanOrder ?? components.map((_, i) => i);
  out.push(...segment(0xda, [order.length, ...order.flatMap((i) => [components[i]!.id, 0x00]), 0, 63, 0]));

  const w = new BitWriter();
  const pred = components.map(() => 0);
  const block = (c: number) => {
    const dcMax = Math.min(16 * amplitude, 1023);
    const dc = int(-dcMax, dcMax);
    const diff = dc - pred[c]!;
    pred[c] = dc;
    w.write(category(diff), 4);
    writeValue(w, diff, category(diff));
    // Coefficients in file (zig-zag) order, the last possibly nonzero one at `last`.
    const last = rand() < 0.3 ? 63 : int(0, 63);
    let run = 0;
    for (let k = 1; k <= last; k++) {
      const value = k === last ? int(1, amplitude) * (rand() < 0.5 ? -1 : 1) : rand() < 0.4 ? int(-amplitude, amplitude) : 0;
      if (value === 0) {
        run++;
        continue;
      }
      for (; run >= 16; run -= 16) w.write(AC_SYMBOLS.indexOf(0xf0), 8);
      const s = category(value);
      w.write(AC_SYMBOLS.indexOf((run << 4) | s), 8);
      writeValue(w, value, s);
      run = 0;
    }
    if (last < 63) w.write(AC_SYMBOLS.indexOf(0x00), 8); // end of block
  };
  const single = components.length === 1;
  const maxH = Math.max(...components.map((c) => c.h));
  const maxV = Math.max(...components.map((c) => c.v));
  const [perLine, rows] = single
    ? [Math.ceil(width / 8), Math.ceil(height / 8)]
    : [Math.ceil(width / 8 / maxH), Math.ceil(height / 8 / maxV)];
  const total = perLine * rows;
  const interval = spec.restartInterval || total;
  const paddedRows = Math.ceil(height / 8 / components[0]!.v) * components[0]!.v;
  for (let mcu = 0, marker = 0; mcu < total; marker++) {
    pred.fill(0);
    for (let n = 0; n < interval; n++) {
      if (single) {
        if (mcu < total || (spec.fillLastInterval && Math.floor(mcu / perLine) < paddedRows)) block(0);
        mcu++;
      } else {
        for (const i of order) for (let b = 0; b < components[i]!.h * components[i]!.v; b++) block(i);
        if (++mcu === total) break;
      }
    }
    w.align();
    if (mcu < total && spec.stopAfterMcus !== undefined && mcu >= spec.stopAfterMcus) break;
    if (mcu < total) w.bytes.push(0xff, 0xd0 + (marker % 8));
  }
  return Buffer.from([...out, ...w.bytes, 0xff, 0xd9]);
}
