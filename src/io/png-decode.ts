// PNG pixels -> 8-bit RGBA as they inflate: the zlib stream across the IDAT chunks goes through a
// streaming inflater a slice at a time, each row is unfiltered against the previous one (the only
// row kept) and converted straight into the output, pass by pass for Adam7. So decoding needs the
// output, the file and a few rows, whatever the compression ratio. The conversion is the one pngjs
// + compositing gave: samples scaled to 8 bits as round(v × 255 / max), the tRNS colour made fully
// transparent, and alpha composited over white. Given a BoxReducer (decode-reduce.ts), each row
// goes to it instead, through one row of RGBA, and only the reduced image is kept.

import { Unzlib } from 'fflate';
import type { RgbaImage } from '../style/image-tensor.js';
import type { BoxReducer } from './decode-reduce.js';
import { CHANNELS, type PngLayout } from './png-chunks.js';

/**
 * Compressed bytes go to the inflater in slices sized to inflate to about PUSH_OUTPUT_BYTES at the
 * ratio seen so far (the first as if at deflate's largest, ~1032:1), and never over MAX_SLICE_BYTES.
 */
const PUSH_OUTPUT_BYTES = 1 << 20;
const MAX_SLICE_BYTES = 16 * 1024;
const DEFLATE_MAX_RATIO = 1032;

/** Adam7 interlacing: each pass's first column and row, and its steps. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  width: number;
  height: number;
  /** Bytes of one row's samples (without its filter byte). */
  rowBytes: number;
}

function passes({ width, height, interlaced, depth, colorType }: PngLayout): Pass[] {
  const list = interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  return list
    .map(([x0, y0, dx, dy]) => {
      const w = Math.ceil(Math.max(0, width - x0) / dx);
      const h = Math.ceil(Math.max(0, height - y0) / dy);
      return { x0, y0, dx, dy, width: w, height: h, rowBytes: Math.ceil((w * CHANNELS[colorType]! * depth) / 8) };
    })
    .filter((p) => p.width > 0 && p.height > 0);
}

/** The bytes the pixels inflate to: a filter byte and the packed samples per row, of each pass. */
export function pngInflatedBytes(png: PngLayout): number {
  return passes(png).reduce((sum, p) => sum + p.height * (1 + p.rowBytes), 0);
}

/** Decodes the pixels of a PNG whose layout is checked (reduced by `reducer` when given). Throws an Error saying what is wrong. */
export function decodePngPixels(bytes: Uint8Array, png: PngLayout, reducer?: BoxReducer): RgbaImage {
  const { width, height } = png;
  const list = passes(png);
  const out = new Uint8Array(reducer ? Math.max(...list.map((p) => p.width)) * 4 : width * height * 4);
  const needed = pngInflatedBytes(png);
  const maxRow = Math.max(...list.map((p) => p.rowBytes));
  const convert = rowConverter(png, out, !!reducer);
  // The bytes per pixel a filter looks back (at least one).
  const back = Math.max(1, (CHANNELS[png.colorType]! * png.depth) >> 3);
  let [row, prev] = [new Uint8Array(1 + maxRow), new Uint8Array(1 + maxRow)];
  let [passIndex, y, filled, inflated] = [0, 0, 0, 0];
  let done = false;
  const inflater = new Unzlib((chunk) => {
    inflated += chunk.length;
    if (done && chunk.length > 0) {
      // pngjs inflated interlaced images whole and refused the excess; the others it cut short.
      throw new Error(`its compressed pixels inflate to more than the ${needed} bytes a ${width}×${height} image needs`);
    }
    for (let at = 0; at < chunk.length;) {
      const pass = list[passIndex]!;
      const n = Math.min(1 + pass.rowBytes - filled, chunk.length - at);
      row.set(chunk.subarray(at, at + n), filled);
      [at, filled] = [at + n, filled + n];
      if (filled < 1 + pass.rowBytes) continue;
      unfilter(row, prev, pass.rowBytes, back, y);
      convert(row, pass, y);
      reducer?.add(pass.y0 + y * pass.dy, pass.x0, pass.dx, out, pass.width);
      [row, prev, filled] = [prev, row, 0];
      if (++y < pass.height) continue;
      [passIndex, y] = [passIndex + 1, 0];
      prev.fill(0); // each pass starts with a row of zeros above it
      if (passIndex < list.length) continue;
      done = true;
      if (at < chunk.length && png.interlaced)
        throw new Error(`its compressed pixels inflate to more than the ${needed} bytes a ${width}×${height} image needs`);
      return;
    }
  });
  const last = png.data.length - 1;
  let pushed = 0;
  for (let c = 0; c <= last && !(done && !png.interlaced); c++) {
    const [start, end] = png.data[c]!;
    for (let at = start; ;) {
      const ratio = pushed ? Math.max(1, inflated / pushed) : DEFLATE_MAX_RATIO;
      const stop = Math.min(end, at + Math.max(256, Math.min(MAX_SLICE_BYTES, Math.floor(PUSH_OUTPUT_BYTES / ratio))));
      try {
        inflater.push(bytes.subarray(at, stop), c === last && stop === end);
      } catch (err) {
        if (typeof (err as { code?: unknown }).code !== 'number') throw err; // not the inflater's: ours
        const what = `${(err as Error).message} after ${inflated} of the ${needed} bytes a ${width}×${height} image needs`;
        throw new Error(`its compressed pixels are cut short or corrupt (${what})`);
      }
      [pushed, at] = [pushed + stop - at, stop];
      if ((done && !png.interlaced) || at >= end) break;
    }
  }
  if (!done) throw new Error(`its compressed pixels inflate to ${inflated} of the ${needed} bytes a ${width}×${height} image needs`);
  return reducer ? reducer.image() : { width, height, data: out };
}

/** Reverses a row's filter in place (row[0] is the filter type), given the previous row. */
function unfilter(row: Uint8Array, prev: Uint8Array, rowBytes: number, back: number, y: number): void {
  const type = row[0]!;
  const end = rowBytes + 1;
  switch (type) {
    case 0:
      return;
    case 1:
      for (let i = 1 + back; i < end; i++) row[i] = row[i]! + row[i - back]!;
      return;
    case 2:
      for (let i = 1; i < end; i++) row[i] = row[i]! + prev[i]!;
      return;
    case 3:
      for (let i = 1; i < end; i++) row[i] = row[i]! + (((i > back ? row[i - back]! : 0) + prev[i]!) >> 1);
      return;
    case 4:
      for (let i = 1; i < end; i++) {
        const b = prev[i]!;
        const a = i > back ? row[i - back]! : 0;
        const c = i > back ? prev[i - back]! : 0;
        const pa = Math.abs(b - c); // |p - a| for p = a + b - c
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        row[i] = row[i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      return;
    default:
      throw new Error(`row ${y} of the pixels has filter type ${type} (0 to 4 exist): the pixels do not fit the size in the header`);
  }
}

/** Compositing over white as a table: [alpha × 256 + value] -> the 8-bit result. */
let overWhite: Uint8Array | undefined;
function compositeTable(): Uint8Array {
  if (!overWhite) {
    overWhite = new Uint8Array(256 * 256);
    for (let a = 0; a < 256; a++) {
      const alpha = a / 255;
      for (let v = 0; v < 256; v++) overWhite[a * 256 + v] = Math.round(v * alpha + 255 * (1 - alpha));
    }
  }
  return overWhite;
}

/** Samples of `depth` bits -> 8 bits, rounded to nearest (identity for 8 bits). */
function scaleTable(depth: number): Uint8Array {
  const max = 2 ** depth - 1;
  return Uint8Array.from({ length: max + 1 }, (_, v) => Math.floor((v * 255) / max + 0.5));
}

type RowConverter = (row: Uint8Array, pass: Pass, y: number) => void;

/** What turns an unfiltered row (after its filter byte) into output pixels (or, for `oneRow`, into out's first pixels). */
function rowConverter(png: PngLayout, out: Uint8Array, oneRow: boolean): RowConverter {
  const { colorType, depth, width } = png;
  const channels = CHANNELS[colorType]!;
  const over = compositeTable();
  // 8-bit samples (palette indices unscaled), and which pixels are the tRNS colour.
  const samples = new Uint8Array(width * channels);
  const scale = colorType === 3 ? scaleTable(8) : scaleTable(depth);
  const clear = png.transparent && new Uint8Array(width);
  const palette = colorType === 3 ? compositedPalette(png.palette, over) : undefined;
  return (row, { x0, y0, dx, dy, width: w }, y) => {
    const s = unpackSamples(row, depth, w * channels, scale, samples);
    if (clear) transparentPixels(row, depth, w, png.transparent!, clear);
    const step = oneRow ? 4 : dx * 4;
    const first = oneRow ? 0 : ((y0 + y * dy) * width + x0) * 4;
    let o = first;
    switch (colorType) {
      case 0:
        for (let i = 0; i < w; i++, o += step) out[o] = out[o + 1] = out[o + 2] = s[i]!;
        break;
      case 2:
        for (let i = 0; i < w; i++, o += step) {
          out[o] = s[3 * i]!;
          out[o + 1] = s[3 * i + 1]!;
          out[o + 2] = s[3 * i + 2]!;
        }
        break;
      case 3:
        for (let i = 0; i < w; i++, o += step) {
          const k = 3 * s[i]!;
          if (k >= palette!.length) throw new Error(`palette index ${s[i]} of ${palette!.length / 3} entries`);
          out[o] = palette![k]!;
          out[o + 1] = palette![k + 1]!;
          out[o + 2] = palette![k + 2]!;
        }
        break;
      case 4:
        for (let i = 0; i < w; i++, o += step) out[o] = out[o + 1] = out[o + 2] = over[s[2 * i + 1]! * 256 + s[2 * i]!]!;
        break;
      default:
        for (let i = 0; i < w; i++, o += step) {
          const a = s[4 * i + 3]! * 256;
          out[o] = over[a + s[4 * i]!]!;
          out[o + 1] = over[a + s[4 * i + 1]!]!;
          out[o + 2] = over[a + s[4 * i + 2]!]!;
        }
    }
    o = first;
    for (let i = 0; i < w; i++, o += step) {
      if (clear?.[i]) out[o] = out[o + 1] = out[o + 2] = 255; // fully transparent, over white
      out[o + 3] = 255;
    }
  };
}

/** The palette's RGB composited over white by its tRNS alphas. */
function compositedPalette(rgba: Uint8Array, over: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0; i < rgba.length / 4; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = over[rgba[4 * i + 3]! * 256 + rgba[4 * i + c]!]!;
  return rgb;
}

/** A row's first `count` samples (after its filter byte) as 8 bits, through `scale`. */
function unpackSamples(row: Uint8Array, depth: number, count: number, scale: Uint8Array, samples: Uint8Array): Uint8Array {
  if (depth === 8) return row.subarray(1, 1 + count);
  if (depth === 16) {
    for (let i = 0; i < count; i++) samples[i] = scale[(row[1 + 2 * i]! << 8) | row[2 + 2 * i]!]!;
    return samples;
  }
  const perByte = 8 / depth;
  const mask = (1 << depth) - 1;
  for (let i = 0; i < count; i++) samples[i] = scale[(row[1 + Math.floor(i / perByte)]! >> (8 - depth * ((i % perByte) + 1))) & mask]!;
  return samples;
}

/** clear[i] = 1 where pixel i has the tRNS gray or RGB value (compared at the image's depth). */
function transparentPixels(row: Uint8Array, depth: number, w: number, value: number[], clear: Uint8Array): void {
  const channels = value.length;
  const raw = new Uint16Array(channels);
  for (let i = 0; i < w; i++) {
    for (let c = 0; c < channels; c++) {
      const k = i * channels + c;
      raw[c] =
        depth === 16
          ? (row[1 + 2 * k]! << 8) | row[2 + 2 * k]!
          : depth === 8
            ? row[1 + k]!
            : (row[1 + Math.floor((k * depth) / 8)]! >> (8 - depth - ((k * depth) % 8))) & ((1 << depth) - 1);
    }
    clear[i] = raw.every((v, c) => v === value[c]) ? 1 : 0;
  }
}
