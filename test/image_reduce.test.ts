import { describe, expect, it } from 'vitest';
import { GpuContext, type DeviceTensor } from '../src/gpu/index.js';
import { IMAGE_BAND_BYTES, reduceImage, resize, type ImageReduceOptions } from '../src/kernels/index.js';
import { planBands } from '../src/kernels/image_reduce.js';
import { loadShaders } from '../src/node/shaders.js';
import { uploadImage, type RgbaImage } from '../src/style/image-tensor.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { rng } from './helpers/random.js';

// ---- float64 oracle: the 2D area (box) filter, from the geometry alone ----
// Output pixel (oy, ox) of an h×w reduction of an H×W image covers [oy·H/h, (oy+1)·H/h) ×
// [ox·W/w, (ox+1)·W/w) of the input plane. Each input pixel weighs the area it shares with that
// rectangle, over the rectangle's area. In units of 1/h (rows) and 1/w (columns) every edge is an
// integer, so the overlaps below are exact.

function overlap(aLo: number, aHi: number, bLo: number, bHi: number): number {
  return Math.max(0, Math.min(aHi, bHi) - Math.max(aLo, bLo));
}

/** RGB of output pixel (oy, ox), each in 0..1. */
function areaPixel(img: RgbaImage, h: number, w: number, oy: number, ox: number): [number, number, number] {
  const { width: W, height: H, data } = img;
  const rgb: [number, number, number] = [0, 0, 0];
  const y0 = Math.floor((oy * H) / h);
  const y1 = Math.ceil(((oy + 1) * H) / h);
  const x0 = Math.floor((ox * W) / w);
  const x1 = Math.ceil(((ox + 1) * W) / w);
  for (let j = y0; j < y1; j++) {
    const wy = overlap(j * h, (j + 1) * h, oy * H, (oy + 1) * H);
    for (let i = x0; i < x1; i++) {
      const wx = overlap(i * w, (i + 1) * w, ox * W, (ox + 1) * W);
      for (let c = 0; c < 3; c++) rgb[c]! += wy * wx * (data[(j * W + i) * 4 + c]! / 255);
    }
  }
  return rgb.map((v) => v / (H * W)) as [number, number, number];
}

function areaReduce(img: RgbaImage, h: number, w: number): Float64Array {
  const out = new Float64Array(3 * h * w);
  for (let oy = 0; oy < h; oy++)
    for (let ox = 0; ox < w; ox++) areaPixel(img, h, w, oy, ox).forEach((v, c) => (out[(c * h + oy) * w + ox] = v));
  return out;
}

function randomImage(width: number, height: number, seed: number): RgbaImage {
  const next = rng(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 4 }, () => Math.floor(next() * 256)) };
}

/** What uploadImage did before bands: every pixel expanded to f32 on the CPU, then `resize`. */
function uploadThenResize(ctx: GpuContext, img: RgbaImage, h: number, w: number): DeviceTensor {
  const plane = img.width * img.height;
  const planar = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) planar[c * plane + i] = img.data[i * 4 + c]! / 255;
  const full = ctx.upload([1, 3, img.height, img.width], planar);
  const out = resize(ctx, full, h, w);
  full.release();
  return out;
}

async function reduced(ctx: GpuContext, img: RgbaImage, h: number, w: number, options?: ImageReduceOptions): Promise<Float32Array> {
  const y = reduceImage(ctx, img.data, img.width, img.height, w, h, options);
  expect(y.shape).toEqual([1, 3, h, w]);
  const values = await y.read();
  y.release();
  return values;
}

const TOLERANCE = 1e-5; // f32 rounding of footprints, weights and sums (values are at most 1)
const rowBytes = (img: RgbaImage) => img.width * 4;

const gpu = useGpu();

describe('image reduce (8-bit RGBA -> area-filtered RGB, uploaded in bands)', () => {
  const img = randomImage(37, 23, 5);
  const targets: Array<[string, number, number]> = [
    ['37×23 -> 10×7 (non-integer factors on both axes)', 7, 10],
    ['37×23 -> 37×5 (columns copied, rows averaged)', 5, 37],
    ['37×23 -> 4×23 (rows copied, columns averaged)', 23, 4],
    ['37×23 -> 36×22 (factors just above 1)', 22, 36],
    ['37×23 -> 1×1 (one average of everything)', 1, 1],
    ['37×23 -> 37×23 (identity: a copy)', 23, 37],
  ];
  const bandings: Array<[string, number | undefined]> = [
    ['one band', undefined],
    ['bands of 1 row', rowBytes(img)],
    ['bands of 2 rows', 2 * rowBytes(img)],
    ['bands of 5 rows (not dividing 23)', 5 * rowBytes(img)],
    ['bands of 10 pixels (rows split in pieces)', 40],
  ];
  for (const [what, h, w] of targets) {
    for (const [banding, bandBytes] of bandings) {
      it(`${what}, ${banding}: matches the float64 area filter`, async () => {
        expectClose(await reduced(gpu(), img, h, w, { bandBytes }), areaReduce(img, h, w), TOLERANCE, 'image reduce vs oracle');
      });
    }
  }

  it('plans bands that cover every pixel once and stay within the budget', () => {
    for (const [width, height, maxPixels] of [
      [37, 23, 37],
      [37, 23, 80],
      [37, 23, 10],
      [4032, 3024, IMAGE_BAND_BYTES / 4],
      [5, 1, 2],
    ] as const) {
      const seen = new Uint8Array(width * height);
      for (const b of planBands(width, height, maxPixels)) {
        expect(b.rows * b.cols).toBeLessThanOrEqual(maxPixels);
        for (let r = b.row0; r < b.row0 + b.rows; r++) for (let c = b.col0; c < b.col0 + b.cols; c++) seen[r * width + c]!++;
      }
      expect(seen.every((n) => n === 1)).toBe(true);
    }
  });

  it('ignores alpha', async () => {
    const opaque = { ...img, data: img.data.map((v, i) => (i % 4 === 3 ? 255 : v)) };
    expect(await reduced(gpu(), opaque, 7, 10, { bandBytes: 40 })).toEqual(await reduced(gpu(), img, 7, 10, { bandBytes: 40 }));
  });

  for (const [h, w] of [
    [7, 10],
    [5, 37],
    [23, 37],
    [1, 1],
  ] as const) {
    it(`equals the old upload-then-resize path to f32 rounding (37×23 -> ${w}×${h})`, async () => {
      const ctx = gpu();
      const old = uploadThenResize(ctx, img, h, w);
      expectClose(
        await reduced(ctx, img, h, w, { bandBytes: 3 * rowBytes(img) }),
        await old.read(),
        TOLERANCE,
        'image reduce vs upload+resize',
      );
      old.release();
    });
  }

  it('rejects sizes it cannot produce, naming the image', () => {
    expect(() => reduceImage(gpu(), img.data, 37, 23, 38, 23, { label: 'style image 1' })).toThrow(
      /style image 1: cannot reduce 37×23 to 38×23/,
    );
    expect(() => reduceImage(gpu(), img.data.subarray(4), 37, 23, 10, 7)).toThrow(/needs 3404 bytes, got 3400/);
  });
});

describe('a broken image reduce fails the same check', () => {
  // The check above, run on copies of the shader with one deliberate mistake each (a context on
  // the same device whose pipelines are compiled from the altered source).
  const mistakes: Array<[string, string, string]> = [
    ['the footprint drops its last, partial pixel', 'u32(ceil(hi))', 'u32(floor(hi))'],
    ['each band skips its first row (off by one at band edges)', 'max(u32(floor(lo)), start)', 'max(u32(floor(lo)), start + 1u)'],
    ['bands are read one row late (band offset off by one)', 'let row = (j - p.row0) * p.cols;', 'let row = (j + 1u - p.row0) * p.cols;'],
    ['the area is taken from whole-number factors', '(f32(p.in_w) / f32(p.out_w))', 'f32(p.in_w / p.out_w)'],
  ];
  const broken = (ctx: GpuContext, from: string, to: string): GpuContext => {
    const sources = loadShaders();
    const text = sources.image_reduce!;
    expect(text.includes(from), `shaders/image_reduce.wgsl no longer contains "${from}"`).toBe(true);
    return new GpuContext(ctx.device, ctx.adapter, { ...sources, image_reduce: text.replace(from, to) });
  };

  const img = randomImage(37, 23, 6);
  for (const [name, from, to] of mistakes) {
    it(`${name}: rejected`, async () => {
      const options = { bandBytes: 2 * rowBytes(img) };
      const expected = areaReduce(img, 7, 10);
      expect(relativeError(await reduced(gpu(), img, 7, 10, options), expected)).toBeLessThanOrEqual(TOLERANCE);
      const error = relativeError(await reduced(broken(gpu(), from, to), img, 7, 10, options), expected);
      if (process.env.WGPU_STYLE_REPORT_ERRORS) console.log(`[error] broken image reduce (${name}): ${error.toExponential(2)}`);
      expect(error).toBeGreaterThan(100 * TOLERANCE);
    });
  }
});

describe('uploadImage', () => {
  const img = randomImage(37, 23, 7);

  it('without a bound uploads the full image as bytes / 255', async () => {
    const values = await uploadImage(gpu(), img).read();
    const plane = 37 * 23;
    const expected = Float64Array.from({ length: 3 * plane }, (_, k) => img.data[(k % plane) * 4 + Math.floor(k / plane)]! / 255);
    expectClose(values, expected, 1e-7, 'uploadImage full size');
  });

  it('bounds each side independently and never enlarges', async () => {
    const ctx = gpu();
    expect(uploadImage(ctx, img, 'x', { width: 10, height: 100 }).shape).toEqual([1, 3, 23, 10]);
    expect(uploadImage(ctx, img, 'x', { width: 100, height: 100 }).shape).toEqual([1, 3, 23, 37]);
    const y = uploadImage(ctx, img, 'x', { width: 10, height: 7 });
    expectClose(await y.read(), areaReduce(img, 7, 10), TOLERANCE, 'uploadImage atMost');
  });

  it('reduces a 12 MP (4032×3024) photo to 512×384 with only a band and the output on the device', async () => {
    const ctx = gpu();
    const [W, H, w, h] = [4032, 3024, 512, 384];
    const data = new Uint8Array(W * H * 4);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const k = (y * W + x) * 4;
        data[k] = (x * 255) / (W - 1);
        data[k + 1] = (y * 255) / (H - 1);
        data[k + 2] = (x ^ y) & 255;
        data[k + 3] = 255;
      }
    const photo = { width: W, height: H, data };
    ctx.resetMemoryPeak();
    const before = ctx.memory().liveBytes;
    const start = performance.now();
    const y = uploadImage(ctx, photo, 'photo', { width: w, height: h });
    const values = await y.read();
    const seconds = (performance.now() - start) / 1000;
    console.log(`[image reduce] 4032×3024 -> 512×384 in ${seconds.toFixed(2)} s`);
    const extra = ctx.memory().peakLiveBytes - before;
    expect(extra).toBeLessThanOrEqual(Math.min(IMAGE_BAND_BYTES, ctx.maxBindingBytes) + 3 * h * w * 4);
    const next = rng(8);
    for (let s = 0; s < 200; s++) {
      const [oy, ox] = [Math.floor(next() * h), Math.floor(next() * w)];
      const rgb = areaPixel(photo, h, w, oy, ox);
      for (let c = 0; c < 3; c++) expect(Math.abs(values[(c * h + oy) * w + ox]! - rgb[c]!)).toBeLessThan(1e-5);
    }
    y.release();
  });
});
