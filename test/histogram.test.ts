// The histogram kernels (src/kernels/histogram.ts) against their float64 oracle
// (helpers/oracle-histogram.ts), whole and past one binding; a broken copy of each shader must
// fail; and Risser's term (src/style/histogram-term.ts) checked as a differentiable function of the
// features with the matched features R held constant (the term's gradient flows to F only).
// Plane sizes are powers of two, so that no quantile level q/255 equals a cdf step count/plane
// exactly (a tie f32 and float64 could break differently), and values sit inside their bins.

import { describe, expect, it } from 'vitest';
import type { DeviceTensor, GpuContext } from '../src/gpu/index.js';
import { ops, Tape, Tensor } from '../src/graph/index.js';
import {
  HISTOGRAM_QUANTILES as Q,
  histogramBins,
  histogramCdf,
  histogramRemap,
  mseBackward,
  mseForward,
  quantileTable,
  releaseCdf,
} from '../src/kernels/index.js';
import { histogramLoss } from '../src/style/histogram-term.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle-histogram.js';
import { rng } from './helpers/random.js';

const BINS = 256;

/**
 * Channels of `plane` values, each off its bin edges: channel c spans [lo, hi] with its min and max
 * present, every other value at lo + (b + δ)·(hi − lo)/BINS, δ in [0.2, 0.8]; channel `constant` is flat.
 */
function features(channels: number, plane: number, seed: number, constant = -1): Float64Array {
  const next = rng(seed);
  const x = new Float64Array(channels * plane);
  for (let c = 0; c < channels; c++) {
    const lo = -1 + next();
    const hi = lo + 0.5 + 2 * next();
    const skew = 1 + 2 * next(); // a skewed distribution (not uniform), as ReLU features are
    for (let i = 0; i < plane; i++) {
      const b = Math.min(BINS - 1, Math.floor(next() ** skew * BINS));
      x[c * plane + i] = c === constant ? 0.25 : Math.fround(lo + ((b + 0.2 + 0.6 * next()) * (hi - lo)) / BINS);
    }
    if (c !== constant) [x[c * plane], x[c * plane + 1]] = [Math.fround(lo), Math.fround(hi)];
  }
  return x;
}

async function readAll(...tensors: DeviceTensor[]): Promise<Float32Array[]> {
  const values = await Promise.all(tensors.map((t) => t.read()));
  for (const t of tensors) t.release();
  return values;
}

const SHAPE = [1, 5, 8, 16] as const; // channel 3 constant
const PLANE = SHAPE[2] * SHAPE[3];

/** A larger shape for the banded paths (a binding cap must still hold the [5, 257] cdf and the tables). */
const BIG = [1, 5, 32, 32] as const;
const BIG_PLANE = BIG[2] * BIG[3];

async function cdfOn(ctx: GpuContext, x: Float64Array, shape: readonly number[] = SHAPE) {
  const xt = ctx.upload(shape, x);
  const of = histogramCdf(ctx, xt);
  xt.release();
  const [range, cdf] = await readAll(of.range, of.cdf);
  return { range: range!, cdf: cdf! };
}

async function remapOn(ctx: GpuContext, x: Float64Array, table: ArrayLike<number>, shape: readonly number[] = SHAPE) {
  const xt = ctx.upload(shape, x);
  const tt = ctx.upload([shape[1]!, Q], table);
  const of = histogramCdf(ctx, xt);
  const out = histogramRemap(ctx, xt, of, tt);
  releaseCdf(of);
  const [values] = await readAll(out, xt, tt);
  return values!;
}

describe('histogram kernels against the float64 oracle', () => {
  const gpu = useGpu();
  const x = features(SHAPE[1], PLANE, 7, 3);
  const style = features(SHAPE[1], PLANE, 8);
  const want = oracle.histogramCdf(x, SHAPE[1], PLANE, BINS);

  it('has 256 bins (the CDF kernel workgroup size)', () => expect(histogramBins(gpu())).toBe(BINS));

  it("histogram_cdf: each channel's range and cumulative histogram", async () => {
    const got = await cdfOn(gpu(), x);
    expectClose(got.range, want.range, 0, 'histogram range');
    expectClose(got.cdf, want.cdf, 1e-6, 'histogram cdf');
  });

  it('histogram_cdf past one binding (groups of channels) equals the whole', async () => {
    const ctx = gpu();
    const big = features(BIG[1], BIG_PLANE, 9);
    const whole = oracle.histogramCdf(big, BIG[1], BIG_PLANE, BINS);
    ctx.capBinding(2 * BIG_PLANE * 4); // two channels per group: groups of 2, 2, 1
    try {
      const got = await cdfOn(ctx, big, BIG);
      expectClose(got.cdf, whole.cdf, 1e-6, 'histogram cdf banded');
      expectClose(got.range, whole.range, 0, 'histogram range banded');
    } finally {
      ctx.capBinding(null);
    }
  });

  it("histogram_quantiles: each channel's quantile function, min at 0 and max at 1", async () => {
    const ctx = gpu();
    const xt = ctx.upload(SHAPE, x);
    const [table] = await readAll(quantileTable(ctx, xt), xt);
    const wanted = oracle.histogramQuantiles(want, BINS, Q);
    expectClose(table!, wanted, 1e-5, 'histogram quantiles');
    expect(table![0]).toBeCloseTo(want.range[0]!, 6);
    expect(table![Q - 1]).toBeCloseTo(want.range[1]!, 5);
  });

  it("histogram_remap: x through its own CDF and the style's quantile function", async () => {
    const table = oracle.histogramQuantiles(oracle.histogramCdf(style, SHAPE[1], PLANE, BINS), BINS, Q);
    const got = await remapOn(gpu(), x, table);
    expectClose(got, oracle.histogramRemap(x, PLANE, want, table, BINS, Q), 1e-5, 'histogram remap');
  });

  it("the matched features take the style's distribution (their sorted values), and a constant channel its median", async () => {
    const big = features(BIG[1], BIG_PLANE, 13, 3);
    const target = features(BIG[1], BIG_PLANE, 14);
    const targetCdf = oracle.histogramCdf(target, BIG[1], BIG_PLANE, BINS);
    const table = oracle.histogramQuantiles(targetCdf, BINS, Q);
    const matched = await remapOn(gpu(), big, table, BIG);
    const sorted = (a: ArrayLike<number>, c: number) =>
      Array.from(a)
        .slice(c * BIG_PLANE, (c + 1) * BIG_PLANE)
        .sort((p, q) => p - q);
    for (const c of [0, 1, 2, 4]) {
      const [got, ref] = [sorted(matched, c), sorted(target, c)];
      const width = (targetCdf.range[2 * c + 1]! - targetCdf.range[2 * c]!) / BINS;
      // Rank by rank, on average within half a bin width of the target's: the matching is exact
      // up to the histograms' resolution (values spread linearly inside the image's bin, then the
      // target's; in a sparse tail bin a rank can land a few widths off, hence the mean).
      const mean = got.reduce((sum, v, i) => sum + Math.abs(v - ref[i]!), 0) / got.length;
      expect(mean, `channel ${c}`).toBeLessThan(width / 2); // 0.26–0.33 widths measured
    }
    const median = (table[3 * Q + (Q - 2) / 2]! + table[3 * Q + Q / 2]!) / 2; // u = 0.5, between entries 127 and 128
    expect(matched[3 * BIG_PLANE]).toBeCloseTo(median, 5);
  });

  it('histogram_remap in flat chunks (past one binding) equals the whole', async () => {
    const ctx = gpu();
    const big = features(BIG[1], BIG_PLANE, 9);
    const table = oracle.histogramQuantiles(oracle.histogramCdf(features(BIG[1], BIG_PLANE, 10), BIG[1], BIG_PLANE, BINS), BINS, Q);
    const whole = await remapOn(ctx, big, table, BIG);
    ctx.capBinding(2 * BIG_PLANE * 4 - 256); // chunks that straddle channels
    try {
      expectClose(await remapOn(ctx, big, table, BIG), whole, 0, 'histogram remap chunked');
    } finally {
      ctx.capBinding(null);
    }
  });
});

describe('broken histogram shaders fail their oracle', () => {
  const gpu = useGpu();
  const x = features(SHAPE[1], PLANE, 11);
  const want = oracle.histogramCdf(x, SHAPE[1], PLANE, BINS);
  const table = oracle.histogramQuantiles(oracle.histogramCdf(features(SHAPE[1], PLANE, 12), SHAPE[1], PLANE, BINS), BINS, Q);
  const BREAKS: Array<[string, string, string, string]> = [
    ['cdf scan misses one step', 'histogram_cdf', 'if (lid >= step)', 'if (lid > step)'],
    ['range minimum taken as 0', 'histogram_cdf', 'let lo = -workgroup_max(lid, -smallest);', 'let lo = min(0.0, hi);'],
    [
      'counts one bin low',
      'histogram_cdf',
      'atomicAdd(&counts[histogram_bin(histogram_position(x[base + i], lo, hi, bins), bins)], 1u);',
      'atomicAdd(&counts[max(1u, histogram_bin(histogram_position(x[base + i], lo, hi, bins), bins)) - 1u], 1u);',
    ],
    ['quantile search off by one edge', 'histogram_quantiles', 'cdf[row + mid + 1u] >= u', 'cdf[row + mid] >= u'],
    ['remap without interpolation between entries', 'histogram_remap', 'mix(table[entry], table[entry + 1u], f)', 'table[entry]'],
  ];
  for (const [what, shader, correct, broken] of BREAKS) {
    it(`${shader}: ${what}`, async () => {
      const ctx = withBrokenShader(gpu(), shader, correct, broken);
      let error: number;
      if (shader === 'histogram_cdf') {
        const got = await cdfOn(ctx, x);
        error = Math.max(relativeError(got.cdf, want.cdf), relativeError(got.range, want.range));
      } else if (shader === 'histogram_quantiles') {
        const xt = ctx.upload(SHAPE, x);
        const [got] = await readAll(quantileTable(ctx, xt), xt);
        error = relativeError(got!, oracle.histogramQuantiles(want, BINS, Q));
      } else error = relativeError(await remapOn(ctx, x, table), oracle.histogramRemap(x, PLANE, want, table, BINS, Q));
      expect(error).toBeGreaterThan(1e-3);
    });
  }
});

describe("Risser's histogram term, R held constant", () => {
  const gpu = useGpu();
  const shape = [1, 3, 4, 8];
  const plane = 32;
  const x0 = features(3, plane, 21);
  const styleTable = oracle.histogramQuantiles(oracle.histogramCdf(features(3, plane, 22), 3, plane, BINS), BINS, Q);
  // R: the oracle's matching of the base features x0; the term at x is Σ (x − R)² / x.size.
  const r0 = oracle.histogramRemap(x0, plane, oracle.histogramCdf(x0, 3, plane, BINS), styleTable, BINS, Q);
  describeDifferentiable(gpu, {
    name: 'histogram term (R held constant)',
    inputShape: shape,
    outputShape: [1],
    input: x0,
    forward: (ctx, x) => {
      const r = ctx.upload(shape, r0);
      const y = mseForward(ctx, x, r);
      r.release();
      return y;
    },
    // R made from x (= x0 here) by the term's own op (histogramMatch), then the MSE's gradient wrt F.
    backward: (ctx, x, dy) => {
      const table = ctx.upload([3, Q], styleTable);
      const tape = new Tape(ctx);
      const r = ops.histogramMatch(tape, Tensor.leaf(x, true), table);
      const grad = mseBackward(ctx, x, r.value, dy, 'a');
      tape.dispose();
      table.release();
      return grad;
    },
    oracle: (x) => [Array.from(x).reduce((s, v, i) => s + (v - r0[i]!) ** 2, 0) / x.length],
    oracleBackward: (x, d) => Array.from(x, (v, i) => (2 * (v - r0[i]!) * d[0]!) / x.length),
  });

  it('the device R equals the oracle R (so the checks above hold R fixed at the same values)', async () => {
    const ctx = gpu();
    const xt = ctx.upload(shape, x0);
    const table = ctx.upload([3, Q], styleTable);
    const of = histogramCdf(ctx, xt);
    const r = histogramRemap(ctx, xt, of, table);
    releaseCdf(of);
    const [matched] = await readAll(r, xt, table);
    expectClose(matched!, r0, 1e-5, 'histogram term target');
  });

  it("histogramLoss's gradient is the MSE's against R, to the features only (none through R)", async () => {
    const ctx = gpu();
    const xt = ctx.upload(shape, x0);
    const table = ctx.upload([3, Q], styleTable);
    const tape = new Tape(ctx);
    const f = Tensor.leaf(xt, true);
    const loss = histogramLoss(tape, f, [table]);
    const [grad] = tape.backward(loss, [f]);
    const [value] = await loss.value.read();
    expect(value).toBeCloseTo(Array.from(x0).reduce((s, v, i) => s + (v - r0[i]!) ** 2, 0) / x0.length, 5);
    const [g] = await readAll(grad!);
    expectClose(
      g!,
      Array.from(x0, (v, i) => (2 * (v - r0[i]!)) / x0.length),
      1e-4,
      'histogram term gradient',
    );
    tape.dispose();
    for (const t of [xt, table]) t.release();
  });

  it('is 0 with a zero gradient when the features already have the style distribution (R = F)', async () => {
    const ctx = gpu();
    const xt = ctx.upload(shape, x0);
    const table = quantileTable(ctx, xt);
    const tape = new Tape(ctx);
    const f = Tensor.leaf(xt, true);
    const loss = histogramLoss(tape, f, [table]);
    const [value] = await loss.value.read();
    expect(value).toBeLessThan((1e-4 * (await xt.read()).reduce((s, v) => s + v * v, 0)) / xt.size);
    tape.dispose();
    table.release();
    xt.release();
  });
});
