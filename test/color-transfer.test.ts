// --color-transfer's recolouring (src/style/color-transfer.ts): histogram matching of YIQ channels
// on the device against its float64 oracle (helpers/oracle-histogram.ts), the identity when the
// source is its own reference, the matched channels' quantiles against the reference's, and a
// broken colour-space shader that must fail.

import { describe, expect, it } from 'vitest';
import type { DeviceTensor, GpuContext } from '../src/gpu/index.js';
import { colorYiq, HISTOGRAM_QUANTILES as Q } from '../src/kernels/index.js';
import { transferColors } from '../src/style/color-transfer.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import * as oracle from './helpers/oracle-histogram.js';
import { rng } from './helpers/random.js';

const BINS = 256;

/** A smooth RGB image [1, 3, h, w] in 0..1 with a colour cast (`tint`) and some noise. */
function image(h: number, w: number, seed: number, tint: [number, number, number]): Float64Array {
  const next = rng(seed);
  const plane = h * w;
  const x = new Float64Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    const base = 0.2 + 0.5 * ((i % w) / w) * ((Math.floor(i / w) + 1) / h) + 0.1 * next();
    for (let c = 0; c < 3; c++) x[c * plane + i] = Math.fround(Math.min(1, Math.max(0, base * tint[c]! + 0.05 * next())));
  }
  return x;
}

async function transfer(ctx: GpuContext, source: Float64Array, shape: number[], refs: Array<[Float64Array, number[]]>, blend: number[]) {
  const s = ctx.upload(shape, source);
  const r = refs.map(([x, sh]) => ctx.upload(sh, x));
  const out = transferColors(ctx, s, r, blend);
  const values = await out.read();
  for (const t of [s, out, ...r]) t.release();
  return values;
}

describe('colour transfer by YIQ histogram matching', () => {
  const gpu = useGpu();
  const source = image(16, 16, 1, [1, 0.8, 0.5]); // warm
  const ref = image(16, 32, 2, [0.4, 0.7, 1]); // cold
  const ref2 = image(16, 16, 3, [0.9, 1, 0.6]);

  it('matches the float64 oracle (one reference, and two blended)', async () => {
    const one = await transfer(gpu(), source, [1, 3, 16, 16], [[ref, [1, 3, 16, 32]]], [1]);
    expectClose(one, oracle.colorTransfer(source, 256, [ref], [512], [1], BINS, Q), 1e-4, 'colour transfer');
    const two = await transfer(
      gpu(),
      source,
      [1, 3, 16, 16],
      [
        [ref, [1, 3, 16, 32]],
        [ref2, [1, 3, 16, 16]],
      ],
      [0.3, 0.7],
    );
    expectClose(two, oracle.colorTransfer(source, 256, [ref, ref2], [512, 256], [0.3, 0.7], BINS, Q), 1e-4, 'colour transfer blended');
  });

  it("takes the reference's colour distribution: the YIQ channels' quantiles match the reference's", async () => {
    const out = await transfer(gpu(), source, [1, 3, 16, 16], [[ref, [1, 3, 16, 32]]], [1]);
    const quantiles = (x: ArrayLike<number>, plane: number) => {
      const yiq = oracle.rgbToYiq(x, plane);
      return oracle.histogramQuantiles(oracle.histogramCdf(yiq, 3, plane, BINS), BINS, Q);
    };
    const [got, want, before] = [quantiles(out, 256), quantiles(ref, 512), quantiles(source, 256)];
    // Within 2 % of the reference's spread (the histograms' resolution, and RGB's clamp at the
    // gamut's edge); the source's own quantiles are far off (the check can fail).
    expect(relativeError(got, want)).toBeLessThan(0.02);
    expect(relativeError(before, want)).toBeGreaterThan(0.2);
  });

  it('is the identity (within the histogram resolution) when the source is its own reference', async () => {
    const out = await transfer(gpu(), source, [1, 3, 16, 16], [[source, [1, 3, 16, 16]]], [1]);
    const errors = Array.from(out, (v, i) => Math.abs(v - source[i]!));
    const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
    // 256 pixels in 256 bins: a value moves inside its (sparse) bin, so on average well under a bin of
    // 0..1 and at worst a few (measured: 0.0168 = 4.3 bins); a wrong matching moves colours by tenths.
    expect(mean).toBeLessThan(0.5 / BINS); // measured 0.11 bins
    expect(Math.max(...errors)).toBeLessThan(8 / BINS);
  });

  it('a broken colour space (back to RGB with the forward matrix) fails the oracle', async () => {
    const ctx = withBrokenShader(gpu(), 'color_yiq', 'y = clamp(TO_RGB * v', 'y = clamp(TO_YIQ * v');
    const out = await transfer(ctx, source, [1, 3, 16, 16], [[ref, [1, 3, 16, 32]]], [1]);
    expect(relativeError(out, oracle.colorTransfer(source, 256, [ref], [512], [1], BINS, Q))).toBeGreaterThan(0.05);
  });

  it('color_yiq: RGB to YIQ and back is the identity inside the gamut', async () => {
    const ctx = gpu();
    const x = ctx.upload([1, 3, 16, 16], source);
    const yiq: DeviceTensor = colorYiq(ctx, x);
    expectClose(await yiq.read(), oracle.rgbToYiq(source, 256), 1e-6, 'rgb to yiq');
    const back = colorYiq(ctx, yiq, true);
    expectClose(await back.read(), source, 1e-3, 'yiq to rgb'); // the matrices are given to 4–6 digits
    for (const t of [x, yiq, back]) t.release();
  });
});
