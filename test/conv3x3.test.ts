import { describe, expect, it } from 'vitest';
import { GpuContext } from '../src/gpu/index.js';
import { loadShaders } from '../src/node/shaders.js';
import {
  autotuneConv,
  CONV_VARIANTS,
  conv3x3Forward,
  conv3x3InputGrad,
  conv3x3WeightGrad,
  convTuningKey,
  flipConv3x3Weights,
  tuningFor,
} from '../src/kernels/index.js';
import { expectClose } from './helpers/compare.js';
import { describeConvVariantCase, withTemps } from './helpers/conv-check.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { randomArray, size } from './helpers/random.js';

// [N, Cin, H, W] and Cout: odd sizes, 1×1, one channel, channels not a multiple of 4, and widths
// that are not a multiple of an invocation's block of 4·PX_VECS pixels.
const CASES: Array<[number[], number]> = [
  [[1, 3, 5, 7], 5],
  [[2, 5, 1, 1], 3],
  [[1, 1, 6, 4], 1],
  [[1, 6, 9, 11], 6],
  [[2, 2, 3, 37], 9],
];

describe('conv3x3', () => {
  const gpu = useGpu();

  for (const [shape, cout] of CASES) {
    const s = shape4(shape);
    const [n, cin, h, w] = s;
    const weights = randomArray(cout * cin * 9, 5 + cout);
    const bias = randomArray(cout, 6 + cout);
    const x = randomArray(size(shape), 7 + cin);
    const upload = (ctx: GpuContext, values: ArrayLike<number>, sh: number[]) => ctx.upload(sh, values);

    describeDifferentiable(gpu, {
      name: `conv3x3 input gradient [${shape}]→${cout}`,
      inputShape: shape,
      outputShape: [n, cout, h, w],
      input: x,
      forward: (ctx, xt) =>
        withTemps([upload(ctx, weights, [cout, cin, 3, 3]), upload(ctx, bias, [cout])], ([wt, bt]) => conv3x3Forward(ctx, xt, wt!, bt)),
      backward: (ctx, _xt, dy) =>
        withTemps([upload(ctx, weights, [cout, cin, 3, 3])], ([wt]) => {
          const flipped = flipConv3x3Weights(ctx, wt!);
          const dx = conv3x3InputGrad(ctx, dy, flipped);
          flipped.release();
          return dx;
        }),
      oracle: (xs) => oracle.conv3x3(xs, s, weights, cout, bias),
      oracleBackward: (xs, dy) => oracle.conv3x3Grads(xs, s, weights, cout, dy).dx,
    });

    describeDifferentiable(gpu, {
      name: `conv3x3 weight gradient [${shape}]→${cout}`,
      inputShape: [cout, cin, 3, 3],
      outputShape: [n, cout, h, w],
      input: weights,
      forward: (ctx, wt) => withTemps([upload(ctx, x, shape), upload(ctx, bias, [cout])], ([xt, bt]) => conv3x3Forward(ctx, xt!, wt, bt)),
      backward: (ctx, _wt, dy) =>
        withTemps([upload(ctx, x, shape)], ([xt]) => {
          const { dw, db } = conv3x3WeightGrad(ctx, xt!, dy);
          db.release();
          return dw;
        }),
      oracle: (ws) => oracle.conv3x3(x, s, ws, cout, bias),
      oracleBackward: (_ws, dy) => oracle.conv3x3Grads(x, s, weights, cout, dy).dw,
    });
  }

  it('computes the bias gradient as the sum of dy over batch and pixels', async () => {
    const ctx = gpu();
    const shape = [2, 3, 5, 6];
    const cout = 5;
    const x = randomArray(size(shape), 1);
    const dy = randomArray(2 * cout * 5 * 6, 2);
    const xt = ctx.upload(shape, x);
    const dyt = ctx.upload([2, cout, 5, 6], dy);
    const { dw, db } = conv3x3WeightGrad(ctx, xt, dyt);
    const expected = oracle.conv3x3Grads(x, shape4(shape), randomArray(cout * 27, 3), cout, dy).db;
    expectClose(await db.read(), expected, 1e-5, 'conv3x3 bias gradient');
    for (const t of [xt, dyt, dw, db]) t.release();
  });

  it('runs without bias', async () => {
    const ctx = gpu();
    const shape = shape4([1, 2, 4, 5]);
    const x = randomArray(size(shape), 4);
    const w = randomArray(3 * 2 * 9, 5);
    const xt = ctx.upload(shape, x);
    const wt = ctx.upload([3, 2, 3, 3], w);
    const y = conv3x3Forward(ctx, xt, wt);
    expectClose(await y.read(), oracle.conv3x3(x, shape, w, 3), 1e-5, 'conv3x3 forward without bias');
  });

  it('rejects weights that do not match the input channels, naming both shapes', () => {
    const ctx = gpu();
    const xt = ctx.zeros([1, 3, 4, 4]);
    const wt = ctx.zeros([8, 4, 3, 3]);
    expect(() => conv3x3Forward(ctx, xt, wt)).toThrow(/weights must have shape \[Cout, 3, 3, 3\].*\[1,3,4,4\].*\[8,4,3,3\]/);
  });
});

describe('conv3x3 register-blocking variants (every one the autotuner can pick)', () => {
  const gpu = useGpu();
  for (const variant of CONV_VARIANTS) {
    // Widths not a multiple of the 8-pixel block, and 12: the last block half outside.
    for (const [shape, cout] of [
      [[1, 6, 9, 11], 6],
      [[2, 5, 3, 37], 9],
      [[1, 4, 2, 3], 37],
      [[2, 5, 5, 12], 19],
    ] as Array<[number[], number]>) {
      describeConvVariantCase(gpu, variant, shape, cout, 15);
    }
    // conv3x3(relu(x)): the ReLU applied as the input is loaded, its gradient as dx is stored.
    for (const [shape, cout] of [
      [[2, 5, 7, 16], 19],
      [[1, 9, 3, 11], 8],
    ] as Array<[number[], number]>) {
      describeConvVariantCase(gpu, variant, shape, cout, 21, true);
    }
  }

  it('the autotuner times every variant once per shape, keeps the fastest, saves it, and the launcher uses it', async () => {
    const ctx = gpu();
    const saved: Array<Record<string, string>> = [];
    tuningFor(ctx).store = { save: (choices) => saved.push({ ...choices }) };
    const shapes = [
      { shape: [1, 16, 12, 20] as [number, number, number, number], cout: 24 },
      { shape: [1, 24, 12, 20] as [number, number, number, number], cout: 16 },
    ];
    const results = await autotuneConv(ctx, [...shapes, shapes[0]!]);
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(CONV_VARIANTS.map((v) => v.name)).toContain(r.chosen);
      expect(r.ms[r.chosen]).toBe(Math.min(...Object.values(r.ms)));
      expect(Object.keys(r.ms).length).toBeGreaterThanOrEqual(1);
    }
    expect(saved).toHaveLength(1);
    expect(saved[0]![convTuningKey(shapes[0]!.shape, 24)]).toBe(results[0]!.chosen);
    expect(await autotuneConv(ctx, shapes)).toEqual([]); // already tuned: nothing measured again
    tuningFor(ctx).store = null;
    // A fresh pipeline cache on the same device shows which variant the launcher compiles.
    const fresh = new GpuContext(ctx.device, ctx.adapter, loadShaders());
    tuningFor(fresh).set(convTuningKey([1, 3, 5, 7], 5), 'co16-px4');
    const co16 = { CO_BLOCK: 16, PX_VECS: 1 };
    const y = conv3x3Forward(fresh, fresh.zeros([1, 3, 5, 7]), fresh.zeros([5, 3, 3, 3]), fresh.upload([5], [1, 2, 3, 4, 5]));
    expect(fresh.pipelines.has('conv3x3_forward', { HAS_BIAS: 1, RELU_INPUT: 0, MASK: 0 }, co16)).toBe(true);
    expect(fresh.pipelines.size).toBe(1);
    expect(Array.from(await y.read()).filter((_, i) => i % 35 === 0)).toEqual([1, 2, 3, 4, 5]);
  });
});
