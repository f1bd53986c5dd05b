// Tensors larger than one binding (src/kernels/band.ts): a test-only cap on the binding size
// (GpuContext.capBinding) makes tiny tensors take the banded paths. Every banded kernel, forward and
// backward, against the float64 oracle and finite differences (the kernel checks, run capped), and
// banded against unbanded; band edges at odd sizes, bands of one row; a banding without its halo
// rows fails the same check. The seed loss through VGG-19 banded: test/banding-vgg.test.ts.

import { describe, expect, it } from 'vitest';
import type { DeviceTensor, GpuContext } from '../src/gpu/index.js';
import {
  accumulate,
  add,
  avgPool2x2Backward,
  avgPool2x2Forward,
  axpby,
  conv3x3Forward,
  conv3x3InputGrad,
  CONV_VARIANTS,
  convVariantsFor,
  flipConv3x3Weights,
  gramBackward,
  gramForward,
  maxPool2x2Backward,
  maxPool2x2Forward,
  mseBackward,
  mseForward,
  reluBackward,
  reluForward,
  scale,
  type ConvVariant,
  type GramOptions,
} from '../src/kernels/index.js';
import { flatChunks, planRowBands, rowBanded } from '../src/kernels/band.js';
import { convBands } from '../src/kernels/conv3x3.js';
import { bandedAndPlain, capped, cappedGpu, describeBanded, expectLikeUnbanded } from './helpers/banding.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { describeConvVariantCase } from './helpers/conv-check.js';
import { deviceNumericGradient, sampleCoordinates } from './helpers/gradcheck.js';
import { useGpu } from './helpers/gpu.js';
import { DEVICE_DIFF_TOLERANCE, EXACT_TOLERANCE, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { distinctArray, randomArray, size } from './helpers/random.js';

const gpu = useGpu();

// ---- conv3x3 ----

/** A conv case: x [N, Cin, H, W] into `cout` channels, and a binding cap that bands it. */
interface ConvCase {
  shape: [number, number, number, number];
  cout: number;
  cap: number;
  /** Rows per band the planner must choose (the last band takes what is left). */
  rows: number;
}

// Bands of ONE output row: every tensor row is 2·5·13·4 = 520 bytes at most, a band with its halo
// is 3 rows = 1560 bytes, 4 would be 2080; the weights (540 bytes) fit. Batch 2, odd H and W.
const ONE_ROW: ConvCase = { shape: [2, 3, 9, 13], cout: 5, cap: 1568, rows: 1 };
// Two bands, the last one short (124 + 27 rows), at a cap every variant's scratch fits: Winograd
// binds at least 64 tiles of products (36 points × 64 padded channels × 64 tiles × 4 = 576 KiB).
// Rows of 9·131·4 = 4716 bytes: 126 fit, a band and its 2 halo rows. The second band starts at
// image row 123, odd: Winograd's tiles there start off the image's grid of 2×2 and 4×4 tiles.
const TWO_BANDS: ConvCase = { shape: [1, 7, 151, 131], cout: 9, cap: 594_224, rows: 124 };

const isWinograd = (v: ConvVariant) => v.name.includes('wino');

/** conv3x3(relu(x)) + bias and its input gradient masked by x, as the kernel checks run them. */
function convData(c: ConvCase, seed: number) {
  const [n, cin, h, w] = c.shape;
  return {
    x: distinctArray(size(c.shape), seed, 2 / size(c.shape)), // in [-1, 1], no zeros
    w: randomArray(c.cout * cin * 9, seed + 1),
    b: randomArray(c.cout, seed + 2),
    dy: randomArray(n * c.cout * h * w, seed + 3),
  };
}

function recordConv(ctx: GpuContext, variant: ConvVariant, c: ConvCase, data: ReturnType<typeof convData>): DeviceTensor[] {
  const [n, cin, h, w] = c.shape;
  const xt = ctx.upload(c.shape, data.x);
  const wt = ctx.upload([c.cout, cin, 3, 3], data.w);
  const bt = ctx.upload([c.cout], data.b);
  const dyt = ctx.upload([n, c.cout, h, w], data.dy);
  const flipped = flipConv3x3Weights(ctx, wt);
  const y = conv3x3Forward(ctx, xt, wt, bt, { variant, reluInput: true });
  const dx = conv3x3InputGrad(ctx, dyt, flipped, { variant, mask: xt });
  for (const t of [xt, wt, bt, dyt, flipped]) t.release();
  return [y, dx];
}

function convOracle(c: ConvCase, data: ReturnType<typeof convData>) {
  const rx = oracle.relu(data.x);
  const grads = oracle.conv3x3Grads(rx, c.shape, data.w, c.cout, data.dy);
  return { y: oracle.conv3x3(rx, c.shape, data.w, c.cout, data.b), dx: oracle.reluGrad(data.x, grads.dx) };
}

function expectConvBands(ctx: GpuContext, c: ConvCase): void {
  const [n, cin, h, w] = c.shape;
  for (const [shape, cout] of [
    [c.shape, c.cout],
    [[n, c.cout, h, w], cin],
  ] as const) {
    const bands = capped(ctx, c.cap, () => convBands(ctx, shape, cout));
    expect(bands.length).toBe(Math.ceil(h / c.rows));
    expect(bands.every((b) => b.r1 - b.r0 === c.rows || b.r1 === h)).toBe(true);
  }
}

/**
 * Banded vs unbanded: the direct kernels and the tiled GEMM compute each output pixel the same way
 * whatever the band: bit for bit. Winograd F(m×m) tiles start at each band's first (halo) row; where
 * that row is a multiple of m the tiles are the image's and the bits the same, elsewhere other tiles
 * round otherwise: within EXACT_TOLERANCE, the bound each result meets against the oracle (measured
 * with the second band's tiles from row 123: 3·10⁻⁶ for F(4×4), 2·10⁻⁷ for F(2×2); with them from
 * row 122, F(2×2) gave the same bits).
 */
function convTolerance(ctx: GpuContext, v: ConvVariant, c: ConvCase): number | 'bits' {
  if (!isWinograd(v)) return 'bits';
  const m = v.name.includes('wino4') ? 4 : 2;
  const starts = capped(ctx, c.cap, () => convBands(ctx, c.shape, c.cout)).map((b) => b.rows[0]![0]);
  return starts.every((row) => row % m === 0) ? 'bits' : EXACT_TOLERANCE;
}

describe('banding: conv3x3, every variant, forward (ReLU input, bias) and input gradient (mask)', () => {
  const cases: Array<[string, ConvCase, (v: ConvVariant) => boolean]> = [
    // Winograd's products (36 or 16 points × 32 or 64 padded channels per tile) cannot fit this cap.
    ['bands of one row', ONE_ROW, (v) => !isWinograd(v)],
    ['two bands, the last short', TWO_BANDS, () => true],
  ];
  for (const [what, c, applies] of cases) {
    const data = convData(c, 17);
    let expected: ReturnType<typeof convOracle> | undefined;
    it(`plans ${what}: [${c.shape}]→${c.cout} in bands of ${c.rows} rows under a ${c.cap}-byte cap`, () => {
      expectConvBands(gpu(), c);
    });
    for (const variant of CONV_VARIANTS.filter(applies)) {
      it(`${variant.name}, ${what}: banded equals unbanded and the float64 oracle`, async ({ skip }) => {
        const ctx = gpu();
        if (!convVariantsFor(ctx).includes(variant)) skip();
        const { banded, plain } = await bandedAndPlain(ctx, c.cap, () => recordConv(ctx, variant, c, data));
        expected ??= convOracle(c, data);
        for (const [i, name] of ['forward', 'input gradient'].entries()) {
          expectLikeUnbanded(banded[i]!, plain[i]!, convTolerance(ctx, variant, c), `${variant.name} ${name}`);
          expectClose(banded[i]!, name === 'forward' ? expected.y : expected.dx, EXACT_TOLERANCE, `${variant.name} banded ${name}`);
        }
      });
    }
  }
});

describe('banding: conv3x3 kernel checks (oracle, finite differences) with bands of one row', () => {
  const capped1 = cappedGpu(gpu, ONE_ROW.cap);
  // The untuned default, a direct one without subgroups, and the tiled GEMM.
  for (const name of ['sg-co16-px8', 'co8-px8', 'tiled-co32-8x8']) {
    const variant = CONV_VARIANTS.find((v) => v.name === name)!;
    describeConvVariantCase(capped1, variant, [...ONE_ROW.shape], ONE_ROW.cout, 61, true);
    describeConvVariantCase(capped1, variant, [...ONE_ROW.shape], ONE_ROW.cout, 62);
  }
});

describe('banding: Winograd under f32 finite differences, two bands', () => {
  // The float64 differences of every coordinate would take a conv of 10⁷ products each: sampled
  // f32 differences of the banded forward against the banded input gradient (kernel-check.ts).
  for (const variant of CONV_VARIANTS.filter((v) => ['sg-wino4-co32-t8', 'wino2-co8-t8'].includes(v.name))) {
    it(`${variant.name}: the banded input gradient matches the banded forward's differences`, async () => {
      const ctx = gpu();
      const c = TWO_BANDS;
      const [n, cin, h, w] = c.shape;
      const data = { ...convData(c, 29), x: randomArray(size(c.shape), 30) };
      const [wt, bt] = [ctx.upload([c.cout, cin, 3, 3], data.w), ctx.upload([c.cout], data.b)];
      const f = async (x: Float64Array) => {
        const xt = ctx.upload(c.shape, x);
        const y = capped(ctx, c.cap, () => conv3x3Forward(ctx, xt, wt, bt, { variant }));
        const value = oracle.dot(data.dy, await y.read());
        xt.release();
        y.release();
        return value;
      };
      const [dyt, flipped] = [ctx.upload([n, c.cout, h, w], data.dy), flipConv3x3Weights(ctx, wt)];
      const dx = capped(ctx, c.cap, () => conv3x3InputGrad(ctx, dyt, flipped, { variant }));
      const grad = await dx.read();
      for (const t of [dyt, flipped, dx]) t.release();
      // Half the coordinates at the band edge (image rows 122–125), half anywhere.
      const edge = Array.from({ length: 6 }, (_, k) => ((k % cin) * h + 122 + (k % 4)) * w + 17 * k);
      const indices = [...edge, ...sampleCoordinates(grad, 6, 31)];
      const numeric = await deviceNumericGradient(f, data.x, indices, 1e-2);
      wt.release();
      bt.release();
      expectClose(
        indices.map((i) => grad[i]!),
        numeric,
        DEVICE_DIFF_TOLERANCE,
        `${variant.name} banded input gradient vs f32 differences`,
      );
    });
  }
});

describe('banding: a banding without the halo rows', () => {
  it('gives a conv that fails the banded-equals-unbanded check and the oracle', async () => {
    const ctx = gpu();
    const c = ONE_ROW;
    const [n, , h, w] = c.shape;
    const data = convData(c, 23);
    const xt = ctx.upload(c.shape, data.x);
    const wt = ctx.upload([c.cout, c.shape[1], 3, 3], data.w);
    const plain = conv3x3Forward(ctx, xt, wt);
    // What conv3x3.ts does, but its input bands lack the row above and below.
    const banded = capped(ctx, c.cap, () =>
      rowBanded(ctx, {
        kernel: 'conv3x3 without halo',
        domainRows: h,
        inputs: [{ t: xt }],
        output: { t: [n, c.cout, h, w] },
        name: 'conv3x3 output',
        run: ([xb]) => ({ y: conv3x3Forward(ctx, xb!, wt), offset: 0 }),
      }),
    );
    const values = { banded: [await banded.read()], plain: [await plain.read()] };
    for (const t of [xt, wt, plain, banded]) t.release();
    expect(() => expectLikeUnbanded(values.banded[0]!, values.plain[0]!, 'bits', 'halo-less conv')).toThrow(/banded differs from unbanded/);
    expect(() => expectLikeUnbanded(values.banded[0]!, values.plain[0]!, EXACT_TOLERANCE, 'halo-less conv')).toThrow(/exceeds/);
    expect(relativeError(values.banded[0]!, oracle.conv3x3(data.x, c.shape, data.w, c.cout))).toBeGreaterThan(0.01);
  });
});

// ---- the 2×2 pools, Gram, ReLU, MSE, axpby ----

/** Row bands of a 2×2 pool of x (the planner as launch.ts calls it for the forward pass). */
function poolBands(ctx: GpuContext, shape: number[]): number {
  const out = [shape[0]!, shape[1]!, Math.floor(shape[2]! / 2), Math.floor(shape[3]! / 2)];
  return planRowBands(ctx, 'pool', out[2]!, [{ t: shape, stride: 2 }, { t: out }]).length;
}

// Odd H and W: the last band takes the odd last row, which no window reads. Rows of x are
// 2·3·9·4 = 216 bytes: 656 holds 3 (one output row per band), 1088 holds 5 (two, then one).
const POOL_SHAPE = [2, 3, 11, 9];
const POOL_CAPS: Array<[number, number]> = [
  [656, 5],
  [1088, 3],
];
{
  const s = shape4(POOL_SHAPE);
  const outputShape = [2, 3, 5, 4];
  describeBanded(gpu, {
    name: `max-pool 2×2 [${POOL_SHAPE}]`,
    inputShape: POOL_SHAPE,
    outputShape,
    input: distinctArray(size(POOL_SHAPE), 21, 0.05),
    forward: maxPool2x2Forward,
    backward: maxPool2x2Backward,
    oracle: (x) => oracle.maxPool(x, s),
    oracleBackward: (x, dy) => oracle.maxPoolGrad(x, s, dy),
    caps: POOL_CAPS,
    tolerance: ['bits', 'bits'],
    plan: (ctx) => poolBands(ctx, POOL_SHAPE),
  });
  describeBanded(gpu, {
    name: `average-pool 2×2 [${POOL_SHAPE}]`,
    inputShape: POOL_SHAPE,
    outputShape,
    input: randomArray(size(POOL_SHAPE), 23),
    forward: avgPool2x2Forward,
    backward: avgPool2x2Backward,
    oracle: (x) => oracle.avgPool(x, s),
    oracleBackward: (_x, dy) => oracle.avgPoolGrad(s, dy),
    caps: POOL_CAPS,
    tolerance: ['bits', 'bits'],
    plan: (ctx) => poolBands(ctx, POOL_SHAPE),
  });
}

// Rows of x are 2·5·7·4 = 280 bytes: 288 holds one, 848 three (4 bands of 3, one of 1); the Gram
// matrices (200 bytes) are bound whole, and so are the subgroup pass's partial sums, one Gram per
// chunk of k: chunks of 8 pixels make 3 of a 3-row band (600 bytes), where 4 would make 6 (1200). The forward sums the bands' Grams: reassociated, so within
// a few f32 roundings of the unbanded sum (measured 3·10⁻⁷ relative to the largest entry, over 13
// bands); the backward is per pixel, bit for bit.
const GRAM_SHAPE = [2, 5, 13, 7];
for (const [name, options] of [
  ['blocks', { subgroups: false }],
  ['subgroups, k in chunks of 8', { subgroups: true, chunk: 8 }],
] as Array<[string, GramOptions]>) {
  const s = shape4(GRAM_SHAPE);
  describeBanded(gpu, {
    name: `gram (${name}) [${GRAM_SHAPE}]`,
    inputShape: GRAM_SHAPE,
    outputShape: [2, 5, 5],
    input: randomArray(size(GRAM_SHAPE), 36),
    forward: (ctx, x) => gramForward(ctx, x, options),
    backward: (ctx, x, dg) => gramBackward(ctx, x, dg, options),
    oracle: (x) => oracle.gram(x, s),
    oracleBackward: (x, dg) => oracle.gramGrad(x, s, dg),
    caps: [
      [288, 13],
      [848, 5],
    ],
    tolerance: [2e-6, 'bits'],
    plan: (ctx) => planRowBands(ctx, 'gram_forward', 13, [{ t: GRAM_SHAPE }]).length,
  });
}

// Elementwise kernels bind aligned chunks (bindingAlignment elements, 64 on lavapipe): 594 values
// in chunks of 64 (the last 18) and of 128 (the last 82).
const RELU_SHAPE = [2, 3, 11, 9];
describeBanded(gpu, {
  name: `relu [${RELU_SHAPE}]`,
  inputShape: RELU_SHAPE,
  outputShape: RELU_SHAPE,
  input: distinctArray(size(RELU_SHAPE), 11, 0.05),
  forward: reluForward,
  backward: reluBackward,
  oracle: oracle.relu,
  oracleBackward: oracle.reluGrad,
  caps: [
    [256, 10],
    [512, 5],
  ],
  tolerance: ['bits', 'bits'],
  plan: (ctx) => (ctx.bindingBytes >= size(RELU_SHAPE) * 4 ? 1 : flatChunks(ctx, size(RELU_SHAPE)).length),
});

// MSE's forward sums per chunk, each over the whole's count: reassociated (measured 10⁻⁷ over 19
// chunks); its backward is per value, bit for bit.
const MSE_SHAPE = [2, 5, 9, 13];
const MSE_TARGET = randomArray(size(MSE_SHAPE), 41);
describeBanded(gpu, {
  name: `mse [${MSE_SHAPE}]`,
  inputShape: MSE_SHAPE,
  outputShape: [1],
  input: randomArray(size(MSE_SHAPE), 42),
  forward: (ctx, a) => {
    const b = ctx.upload(MSE_SHAPE, MSE_TARGET);
    const loss = mseForward(ctx, a, b);
    b.release();
    return loss;
  },
  backward: (ctx, a, dLoss) => {
    const b = ctx.upload(MSE_SHAPE, MSE_TARGET);
    const grad = mseBackward(ctx, a, b, dLoss);
    b.release();
    return grad;
  },
  oracle: (a) => [oracle.mse(a, MSE_TARGET)],
  oracleBackward: (a, d) => oracle.mseGrad(a, MSE_TARGET, d[0]),
  caps: [
    [256, 19],
    [2000, 3],
  ],
  tolerance: [2e-6, 'bits'],
  plan: (ctx) => (ctx.bindingBytes >= size(MSE_SHAPE) * 4 ? 1 : flatChunks(ctx, size(MSE_SHAPE)).length),
});

describe('banding: axpby, add, scale, accumulate', () => {
  it('bind chunks of 64 values (the last 18) and give the unbanded bits and the float64 values', async () => {
    const ctx = gpu();
    const shape = [2, 3, 11, 9];
    const [x, y] = [randomArray(size(shape), 51), randomArray(size(shape), 52)];
    expect(capped(ctx, 256, () => flatChunks(ctx, size(shape)).map((c) => c.count))).toEqual([...Array(9).fill(64), 18]);
    const { banded, plain } = await bandedAndPlain(ctx, 256, () => {
      const [xt, yt] = [ctx.upload(shape, x), ctx.upload(shape, y)];
      const sum = add(ctx, xt, yt);
      const scaled = scale(ctx, xt, -0.75);
      accumulate(ctx, yt, xt);
      const acc = ctx.copy(yt);
      axpby(ctx, 0.5, xt, 3, yt);
      xt.release();
      return [sum, scaled, acc, yt];
    });
    const expected = [
      x.map((v, i) => v + y[i]!),
      x.map((v) => -0.75 * v),
      x.map((v, i) => v + y[i]!),
      x.map((v, i) => 0.5 * v + 3 * Math.fround(v + y[i]!)),
    ];
    for (const [i, what] of ['add', 'scale', 'accumulate', 'axpby'].entries()) {
      expectLikeUnbanded(banded[i]!, plain[i]!, 'bits', what);
      expectClose(banded[i]!, expected[i]!, 1e-6, `banded ${what}`);
    }
  });
});

// ---- GpuContext: the cap, ranges, the dispatch check ----

describe('banding: GpuContext', () => {
  it('caps bindings only at positive multiples of 16 bytes, and lifts the cap with null', () => {
    const ctx = gpu();
    for (const bad of [0, -16, 100, 24.5]) expect(() => ctx.capBinding(bad), String(bad)).toThrow(/not a positive multiple of 16/);
    capped(ctx, 4096, () => expect(ctx.bindingBytes).toBe(4096));
    expect(ctx.bindingBytes).toBe(ctx.maxBindingBytes);
  });

  it('binds ranges only at aligned offsets inside the tensor', () => {
    const ctx = gpu();
    const align = ctx.bindingAlignment;
    const t = ctx.zeros([4 * align]);
    expect(ctx.range(t, align, align)).toEqual({ buffer: t.buffer, offset: align * 4, size: align * 4 });
    expect(() => ctx.range(t, 1, align)).toThrow(/offset 1 .* is not a multiple of/);
    expect(() => ctx.range(t, 3 * align, 2 * align)).toThrow(/outside/);
    t.release();
  });

  it('refuses a dispatch whose binding exceeds the cap, naming the kernel', () => {
    const ctx = gpu();
    const [x, y] = [ctx.zeros([64]), ctx.zeros([64])];
    const dispatch = () =>
      ctx.dispatch({
        kernel: 'relu_forward',
        label: 'relu_forward(x[64])',
        params: { n: 64 },
        buffers: [x.buffer, y.buffer],
        workgroups: [1],
      });
    expect(() => capped(ctx, 128, dispatch)).toThrow(/relu_forward\(x\[64\]\): binding 1 holds 256 bytes, over the 128-byte binding limit/);
    // A conv whose rows (with the halo) cannot fit says so, with its name.
    const [xt, wt] = [ctx.zeros([1, 3, 9, 13]), ctx.zeros([5, 3, 3, 3])];
    expect(() => capped(ctx, 544, () => conv3x3Forward(ctx, xt, wt))).toThrow(
      /conv3x3: not even one row band of \[1,3,9,13\], \[1,5,9,13\] .* the image is too wide/,
    );
    for (const t of [x, y, xt, wt]) t.release();
  });
});
