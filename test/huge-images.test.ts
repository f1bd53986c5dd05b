// Huge images are reduced while they decode (src/io/decode-reduce.ts): each decoder hands its rows
// to a BoxReducer instead of a full-size buffer. These tests pin that (1) the cells are exact
// rounded means, (2) every decoder and row order (Adam7, progressive JPEG, EXIF orientation) gives
// the bytes of reducing its whole decode, (3) images at or under the threshold decode as before, byte
// for byte, (4) the run identity names a reduced image's original size, and (5) on the device, the
// reduced image then area-reduced to a run's size is within a stated bound of the full image's.

import { describe, expect, it } from 'vitest';
import { runIdentity } from '../src/io/checkpoint-file.js';
import {
  BoxReducer,
  cellSide,
  HUGE_IMAGE_PIXELS,
  REDUCE_MARGIN,
  REDUCE_MIN_SIDE,
  reducedMinSide,
  type ReducedImage,
} from '../src/io/decode-reduce.js';
import { applyOrientation, decodeImage, encodeImage, imageSize } from '../src/io/image.js';
import { nodeSha256 } from '../src/node/checkpoint-files.js';
import type { StyleOptions } from '../src/style/job.js';
import { uploadImage, type RgbaImage } from '../src/style/image-tensor.js';
import type { VggWeights } from '../src/vgg/index.js';
import { jpegWithExif, tiffBlock } from './helpers/hostile-images.js';
import { flatJpeg } from './helpers/image-bombs.js';
import { randomJpeg } from './helpers/jpeg-writer.js';
import { writePng, type PngSpec } from './helpers/png-writer.js';
import { useGpu } from './helpers/gpu.js';
import { rng } from './helpers/random.js';

/** Any image over 0 pixels takes the reducing path (the tests' images are small). */
const ALWAYS = 0;

function randomPng(spec: Omit<PngSpec, 'samples'>, seed: number): Buffer {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[spec.colorType];
  const next = rng(seed);
  const max = spec.colorType === 3 ? spec.palette!.length / 3 : 2 ** spec.depth;
  const samples = Array.from({ length: spec.width * spec.height * channels }, () => Math.floor(next() * max));
  return writePng({ ...spec, samples });
}

const overlap = (aLo: number, aHi: number, bLo: number, bHi: number) => Math.max(0, Math.min(aHi, bHi) - Math.max(aLo, bLo));

/**
 * The cells written out from their definition: ceil(W / k) × ceil(H / k) equal rectangles tiling the
 * image; each is the mean of the pixels it covers, weighted by the area covered, rounded half up.
 * (Areas in units of 1/w pixel across and 1/h down, so they are whole numbers.)
 */
function naiveReduce(image: RgbaImage, k: number): Uint8Array {
  const { width: W, height: H } = image;
  const [w, h] = [Math.ceil(W / k), Math.ceil(H / k)];
  const out = new Uint8Array(w * h * 4);
  for (let cy = 0; cy < h; cy++)
    for (let cx = 0; cx < w; cx++) {
      const sum = [0, 0, 0];
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const area = overlap(x * w, (x + 1) * w, cx * W, (cx + 1) * W) * overlap(y * h, (y + 1) * h, cy * H, (cy + 1) * H);
          for (let c = 0; c < 3; c++) sum[c]! += area * image.data[(y * W + x) * 4 + c]!;
        }
      out.set([...sum.map((s) => Math.round(s / (W * H))), 255], (cy * w + cx) * 4);
    }
  return out;
}

describe('reducing while decoding', () => {
  it('makes each cell the rounded area-weighted mean of the pixels it covers, cells of equal size tiling the image', () => {
    const next = rng(7);
    const image = { width: 23, height: 17, data: Uint8Array.from({ length: 23 * 17 * 4 }, () => Math.floor(next() * 256)) };
    for (const k of [2, 3, 5, 9, 23])
      expect(BoxReducer.reduce(image, k)).toEqual({
        width: Math.ceil(23 / k),
        height: Math.ceil(17 / k),
        data: naiveReduce(image, k),
        reducedFrom: { width: 23, height: 17 },
      });
  });

  it('picks the largest cell that keeps the short side, only over the threshold and only when it at least halves', () => {
    expect(cellSide(14000, 14000, { minSide: reducedMinSide(64, 1) })).toBe(9); // 1556×1556
    expect(cellSide(14000, 10000, { minSide: 1000 })).toBe(10);
    expect(cellSide(10000, 5000, { minSide: HUGE_IMAGE_PIXELS })).toBe(1); // would not halve
    expect(cellSide(10000, 5000, { minSide: 10 })).toBe(1); // 50 MP: at the threshold, decoded whole
    expect(cellSide(10001, 5000, { minSide: 10 })).toBe(500);
    expect(cellSide(10001, 5000, undefined)).toBe(1);
  });

  it('keeps a short side of REDUCE_MARGIN times the largest side (at --style-scale over 1, that too), never under REDUCE_MIN_SIDE', () => {
    expect(reducedMinSide(64, 1)).toBe(REDUCE_MIN_SIDE);
    expect(reducedMinSide(64, 0.5)).toBe(REDUCE_MIN_SIDE);
    expect(reducedMinSide(1000, 1)).toBe(REDUCE_MARGIN * 1000);
    expect(reducedMinSide(1000, 1.5)).toBe(REDUCE_MARGIN * 1500);
  });

  // Each case: the file, and the short side asked for (so k = floor(short / side)).
  const cases: Array<[string, () => Buffer, number]> = [
    ['gray 8-bit PNG', () => randomPng({ width: 61, height: 47, colorType: 0, depth: 8 }, 1), 10],
    ['RGB PNG split over IDATs', () => randomPng({ width: 50, height: 40, colorType: 2, depth: 8, idatBytes: 100 }, 2), 8],
    ['16-bit RGBA PNG', () => randomPng({ width: 33, height: 45, colorType: 6, depth: 16 }, 3), 6],
    [
      '2-bit palette PNG',
      () => randomPng({ width: 37, height: 29, colorType: 3, depth: 2, palette: [0, 0, 0, 9, 99, 199, 255, 1, 2] }, 4),
      7,
    ],
    ['Adam7 RGB PNG', () => randomPng({ width: 45, height: 38, colorType: 2, depth: 8, interlaced: true }, 5), 9],
    ['Adam7 16-bit gray+alpha PNG', () => randomPng({ width: 19, height: 27, colorType: 4, depth: 16, interlaced: true }, 6), 4],
    ['baseline JPEG 4:2:0', () => randomJpeg({ width: 70, height: 45, components: jfif(2, 2), seed: 8 }), 11],
    [
      'baseline gray JPEG with restarts',
      () => randomJpeg({ width: 41, height: 66, components: [{ id: 1, h: 1, v: 1, tq: 0 }], seed: 9, restartInterval: 3 }),
      8,
    ],
    ['progressive JPEG (jpeg-js, then reduced)', () => flatJpeg(90, 70, 3, true), 12],
  ];
  for (const [what, make, side] of cases)
    it(`gives a ${what} the bytes of reducing its whole decode`, () => {
      const bytes = make();
      const whole = decodeImage(bytes, what);
      const k = Math.floor(Math.min(whole.width, whole.height) / side);
      const reduced = decodeImage(bytes, what, { reduce: { minSide: side, abovePixels: ALWAYS } });
      expect(k).toBeGreaterThanOrEqual(2);
      expect(reduced).toEqual(BoxReducer.reduce(whole, k));
    });

  it('turns a JPEG with EXIF orientation upright, its original size turned too', () => {
    const jpeg = randomJpeg({ width: 48, height: 32, components: jfif(1, 1), seed: 10 });
    for (const orientation of [3, 6, 8]) {
      const bytes = jpegWithExif(jpeg, tiffBlock(orientation));
      const reduced = decodeImage(bytes, 'photo.jpg', { reduce: { minSide: 8, abovePixels: ALWAYS } });
      const stored = BoxReducer.reduce(decodeImage(jpeg, 'stored'), 4); // 48 and 32 are whole cells of 4
      const upright = imageSize(bytes, 'photo.jpg');
      expect(reduced).toEqual({ ...applyOrientation(stored, orientation), reducedFrom: upright });
      expect(upright).toEqual(orientation >= 5 ? { width: 32, height: 48 } : { width: 48, height: 32 });
    }
  });

  it('decodes images at or under the threshold exactly as without a request, Adam7 included', () => {
    for (const [what, make] of cases) {
      const bytes = make();
      const plain = decodeImage(bytes, what);
      const pixels = plain.width * plain.height;
      for (const request of [{ minSide: 1 }, { minSide: 1, abovePixels: pixels }]) {
        const same = decodeImage(bytes, what, { reduce: request });
        expect(same, what).toEqual(plain);
        expect(same.reducedFrom).toBeUndefined();
      }
    }
  });

  it('names a reduced image in the run identity by its pixels and its original size', () => {
    const weights = { tensors: new Map(), input: {} } as unknown as VggWeights;
    const digest = (image: ReducedImage) => runIdentity({} as StyleOptions, { content: image }, weights, nodeSha256).inputs.content;
    const image = { width: 2, height: 1, data: new Uint8Array([1, 2, 3, 255, 4, 5, 6, 255]) };
    const from = (width: number, height: number) => digest({ ...image, reducedFrom: { width, height } });
    expect(new Set([digest(image), from(20, 10), from(21, 10), from(20, 11)]).size).toBe(4);
    expect(from(20, 10)).toBe(from(20, 10));
  });
});

describe('on the device: the reduced image, area-reduced to a run size, is close to the full image area-reduced', () => {
  const gpu = useGpu();

  // A smooth "photo": a ramp and slow waves, as 8-bit RGB PNG, 1603×1201 (partial cells on both axes).
  const [W, H] = [1603, 1201];
  const photo: RgbaImage = { width: W, height: H, data: new Uint8Array(W * H * 4) };
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const v = [(255 * x) / W, 128 + 100 * Math.sin(x / 90 + y / 130), 128 + 120 * Math.cos(y / 120)];
      photo.data.set([...v.map(Math.round), 255], (y * W + x) * 4);
    }

  /**
   * The tolerance: half an 8-bit step for rounding the cells' means, and half a step for the soft
   * edges the cells give each output pixel's footprint: a pixel's weight moves only within its cell
   * (under k pixels), the geometry is exact, so what is left is of second order, at most curvature
   * × k² / 2: here ≤ 100 × (1/90 + 1/130)² × 16 / 2 ≈ 0.28 of a step (G), 0.07 (B), 0 (R).
   */
  const TOLERANCE = 1 / 255;

  it('for a 32 px run and a 64 px run (1603×1201 PNG)', async () => {
    const png = encodeImage('photo.png', photo);
    for (const longSide of [32, 64]) {
      const size = { width: longSide, height: Math.round((longSide * H) / W) };
      const reduced = decodeImage(png, 'photo.png', { reduce: { minSide: REDUCE_MARGIN * longSide, abovePixels: ALWAYS } });
      const k = Math.floor(H / (REDUCE_MARGIN * longSide));
      expect(reduced.width).toBe(Math.ceil(W / k));
      const [full, fromReduced] = [uploadImage(gpu(), photo, 'full', size), uploadImage(gpu(), reduced, 'reduced', size)];
      const [a, b] = [await full.read(), await fromReduced.read()];
      full.release();
      fromReduced.release();
      let most = 0;
      for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(a[i]! - b[i]!));
      console.log(
        `huge images: ${W}×${H} -> ${reduced.width}×${reduced.height} (k ${k}) -> ${size.width}×${size.height}: max difference ${(most * 255).toFixed(3)}/255`,
      );
      expect(most).toBeLessThanOrEqual(TOLERANCE);
    }
  }, 120_000);

  /**
   * High detail is the hard case. The two reductions are the mean of the image over each output
   * pixel's footprint, except that a cell straddling the footprint's edge counts all its pixels at
   * the fraction f of it inside: per axis that moves weight f(1 - f)·2 × (cell side / footprint
   * side) ≤ 1 / (2 margin) at each of two edges, so the weights differ by at most 1/margin_x +
   * 1/margin_y in all, and the value by half that times the contrast (255 steps), plus half a step
   * for rounding the cells: 255 / margin + 0.5 steps. reducedMinSide promises a 64 px run a margin
   * of REDUCE_MIN_SIDE / 64 = 24: 11.1 steps. Measured: 1.7 on this XOR pattern (sizes that are not
   * whole cells, so cell edges cross the pattern's); the old rule (margin 4, no floor) gives 21.
   */
  it('for a 64 px run of a high-detail image (4201×4099 XOR pattern), within the bound its margin gives', async () => {
    const [w, h] = [4201, 4099];
    const xor: RgbaImage = { width: w, height: h, data: new Uint8Array(w * h * 4) };
    for (let y = 0, o = 0; y < h; y++) for (let x = 0; x < w; x++, o += 4) xor.data.set([x & 255, y & 255, (x ^ y) & 255, 255], o);
    const size = { width: 64, height: Math.round((64 * h) / w) };
    const reduced = BoxReducer.reduce(xor, cellSide(w, h, { minSide: reducedMinSide(64, 1), abovePixels: ALWAYS }));
    const [full, fromReduced] = [uploadImage(gpu(), xor, 'full', size), uploadImage(gpu(), reduced, 'reduced', size)];
    const [a, b] = [await full.read(), await fromReduced.read()];
    full.release();
    fromReduced.release();
    let most = 0;
    for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(a[i]! - b[i]!));
    const margin = REDUCE_MIN_SIDE / 64; // what the rule promises a 64 px run
    const bound = (255 / margin + 0.5) / 255;
    console.log(
      `huge images: XOR ${w}×${h} -> ${reduced.width}×${reduced.height} -> 64 px: max difference ${(most * 255).toFixed(3)}/255 (bound ${(bound * 255).toFixed(2)})`,
    );
    expect(reduced.reducedFrom).toEqual({ width: w, height: h });
    expect(most).toBeLessThanOrEqual(bound);
  }, 240_000);
});

function jfif(h: number, v: number) {
  return [
    { id: 1, h, v, tq: 0 },
    { id: 2, h: 1, v: 1, tq: 1 },
    { id: 3, h: 1, v: 1, tq: 1 },
  ];
}
