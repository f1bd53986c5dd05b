// The style-mask kernels: a region's weights applied to features (mask_scale, by w or √w, its own
// backward), a mask image's weights (mask_luma), and the masked Gram they make, each against its
// float64 oracle and finite differences, whole and in chunks past one binding; broken shaders fail.

import { describe, expect, it } from 'vitest';
import type { DeviceTensor, GpuContext } from '../src/gpu/index.js';
import { Tape, Tensor } from '../src/graph/index.js';
import { gramBackward, gramForward, maskLuma, maskScale, scale } from '../src/kernels/index.js';
import { GRAM_STATISTIC } from '../src/style/stats-gram.js';
import { cappedGpu } from './helpers/banding.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, EXACT_TOLERANCE, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle-masks.js';
import { randomArray, size } from './helpers/random.js';

/** Weights in [0, 1] for a [1, 1, h, w] mask, exactly representable in f32. */
const weightsFor = (h: number, w: number, seed: number) => Float64Array.from(randomArray(h * w, seed), (v) => Math.fround((v + 1) / 2));

const CASES: Array<{ shape: [number, number, number, number]; cap: number | null }> = [
  { shape: [1, 3, 5, 7], cap: null },
  { shape: [2, 2, 4, 3], cap: null },
  // 3·35 = 105 values in chunks of 64: the weights bound whole, read at each chunk's offset.
  { shape: [1, 3, 5, 7], cap: 256 },
];

describe('mask_scale', () => {
  const gpu = useGpu();
  for (const { shape, cap } of CASES) {
    for (const root of [false, true]) {
      describe(`[${shape}]${root ? ' by √w' : ' by w'}${cap ? `, capped at ${cap} bytes` : ''}`, () => {
        const ctxOf = cap ? cappedGpu(gpu, cap) : gpu;
        const weights = weightsFor(shape[2], shape[3], 7);
        const withWeights = (ctx: GpuContext, fn: (w: DeviceTensor) => DeviceTensor) => {
          const w = ctx.upload([1, 1, shape[2], shape[3]], weights);
          const y = fn(w);
          w.release();
          return y;
        };
        describeDifferentiable(ctxOf, {
          name: 'mask scale',
          inputShape: shape,
          outputShape: shape,
          input: randomArray(size(shape), 11),
          forward: (ctx, x) => withWeights(ctx, (w) => maskScale(ctx, x, w, { root })),
          backward: (ctx, _x, dy) => withWeights(ctx, (w) => maskScale(ctx, dy, w, { root })),
          oracle: (x) => oracle.maskScale(x, weights, shape4(shape), root),
          oracleBackward: (_x, dy) => oracle.maskScale(dy, weights, shape4(shape), root),
        });
      });
    }
  }

  describe('the masked Gram, Gram(F ⊙ √w) / mean(w)', () => {
    const shape: [number, number, number, number] = [1, 3, 4, 5];
    const weights = weightsFor(4, 5, 21);
    const mean = weights.reduce((a, b) => a + b, 0) / weights.length;
    const run = (ctx: GpuContext, x: DeviceTensor, dy?: DeviceTensor) => {
      const w = ctx.upload([1, 1, 4, 5], weights);
      const masked = maskScale(ctx, x, w, { root: true });
      let out: DeviceTensor;
      if (!dy) {
        const g = gramForward(ctx, masked);
        out = scale(ctx, g, 1 / mean);
        g.release();
      } else {
        const dg = scale(ctx, dy, 1 / mean);
        const dm = gramBackward(ctx, masked, dg);
        out = maskScale(ctx, dm, w, { root: true });
        for (const t of [dg, dm]) t.release();
      }
      for (const t of [w, masked]) t.release();
      return out;
    };
    describeDifferentiable(gpu, {
      name: 'masked gram',
      inputShape: shape,
      outputShape: [1, 3, 3],
      input: randomArray(size(shape), 23),
      forward: (ctx, x) => run(ctx, x),
      backward: (ctx, x, dy) => run(ctx, x, dy),
      oracle: (x) => oracle.maskedGram(x, weights, shape4(shape)),
      // The Gram's backward through its weighted features: d/dx of Σ_ij dy_ij G_ij.
      oracleBackward: (x, dy) => {
        const grad = new Float64Array(x.length);
        const h = 1e-6;
        // Exact: G is quadratic in x, so central differences are exact up to rounding.
        for (let i = 0; i < x.length; i++) {
          const [up, down] = [Float64Array.from(x), Float64Array.from(x)];
          up[i]! += h;
          down[i]! -= h;
          const [gu, gd] = [oracle.maskedGram(up, weights, shape4(shape)), oracle.maskedGram(down, weights, shape4(shape))];
          grad[i] = gu.reduce((s, v, k) => s + dy[k]! * (v - gd[k]!), 0) / (2 * h);
        }
        return grad;
      },
    });

    it('an all-white mask gives the plain Gram loss exactly, through the tape', async () => {
      const ctx = gpu();
      const x = ctx.upload(shape, randomArray(size(shape), 31));
      const target = ctx.upload([1, 3, 3], randomArray(9, 32, 0.1));
      const white = ctx.upload([1, 1, 4, 5], new Array(20).fill(1));
      const tape = new Tape(ctx);
      const plain = GRAM_STATISTIC.loss(tape, Tensor.leaf(x), [target]);
      const masked = GRAM_STATISTIC.loss(tape, Tensor.leaf(x), [target], { weights: white, mean: 1 });
      expect(Array.from(await masked.value.read())).toEqual(Array.from(await plain.value.read()));
      tape.dispose();
      for (const t of [x, target, white]) t.release();
    });

    it("the loss's gradient through the tape matches the oracle's differences", async () => {
      const ctx = gpu();
      const xs = randomArray(size(shape), 41);
      const targetValues = randomArray(9, 42, 0.1);
      const loss = (x: ArrayLike<number>) => {
        const g = oracle.maskedGram(x, weights, shape4(shape));
        return g.reduce((s, v, k) => s + (v - targetValues[k]!) ** 2, 0) / g.length;
      };
      const [x, target, w] = [ctx.upload(shape, xs), ctx.upload([1, 3, 3], targetValues), ctx.upload([1, 1, 4, 5], weights)];
      const tape = new Tape(ctx);
      const leaf = Tensor.leaf(x, true);
      const term = GRAM_STATISTIC.loss(tape, leaf, [target], { weights: w, mean });
      expectClose(await term.value.read(), [loss(xs)], EXACT_TOLERANCE, 'masked gram loss');
      const [grad] = tape.backward(term, [leaf]);
      const numeric = xs.map((_, i) => {
        const [up, down] = [Float64Array.from(xs), Float64Array.from(xs)];
        up[i]! += 1e-5;
        down[i]! -= 1e-5;
        return (loss(up) - loss(down)) / 2e-5;
      });
      expectClose(await grad!.read(), numeric, 1e-4, 'masked gram loss gradient');
      for (const t of [grad!, x, target, w]) t.release();
      tape.dispose();
    });
  });

  it('broken: multiplying by w where √w is asked fails the oracle', async () => {
    const broken = withBrokenShader(gpu(), 'mask_scale', 'select(v, sqrt(v), p.root == 1u)', 'v');
    const shape: [number, number, number, number] = [1, 2, 3, 4];
    const weights = weightsFor(3, 4, 5);
    const xs = randomArray(size(shape), 6);
    const [x, w] = [broken.upload(shape, xs), broken.upload([1, 1, 3, 4], weights)];
    const y = await maskScale(broken, x, w, { root: true }).read();
    expect(relativeError(y, oracle.maskScale(xs, weights, shape4(shape), true))).toBeGreaterThan(1e-2);
  });

  describe('broken: a chunk reading the weights from its own start fails the oracle', () => {
    const capped = cappedGpu(gpu, 256);
    it('fails', async () => {
      const broken = withBrokenShader(capped(), 'mask_scale', 'w[(p.offset + i) % p.plane]', 'w[i % p.plane]');
      const shape: [number, number, number, number] = [1, 3, 5, 7];
      const weights = weightsFor(5, 7, 8);
      const xs = randomArray(size(shape), 9);
      broken.capBinding(256);
      const [x, w] = [broken.upload(shape, xs), broken.upload([1, 1, 5, 7], weights)];
      const y = await maskScale(broken, x, w).read();
      broken.capBinding(null);
      expect(relativeError(y, oracle.maskScale(xs, weights, shape4(shape), false))).toBeGreaterThan(1e-2);
    });
  });
});

describe('mask_luma', () => {
  const gpu = useGpu();
  const pixels = (n: number, seed: number) => Uint8Array.from(randomArray(n * 4, seed), (v) => Math.floor(((v + 1) / 2) * 255.99));
  for (const cap of [null, 256]) {
    describe(cap ? `capped at ${cap} bytes (flat chunks)` : 'whole', () => {
      const ctxOf = cap ? cappedGpu(gpu, cap) : gpu;
      it('is luma times alpha', async () => {
        const data = pixels(9 * 13, 3);
        const y = maskLuma(ctxOf(), data, 13, 9);
        expect(y.shape).toEqual([1, 1, 9, 13]);
        expectClose(await y.read(), oracle.maskLuma(data), 1e-6, 'mask luma');
        y.release();
      });
    });
  }
  it('white opaque is 1 and black or transparent is 0', async () => {
    const data = Uint8Array.from([255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 0]);
    expect(Array.from(await maskLuma(gpu(), data, 3, 1).read())).toEqual([1, 0, 0]);
  });
  it('broken: alpha ignored fails the oracle', async () => {
    const broken = withBrokenShader(gpu(), 'mask_luma', ' * rgba.a', '');
    const data = pixels(20, 4);
    const y = await maskLuma(broken, data, 5, 4).read();
    expect(relativeError(y, oracle.maskLuma(data))).toBeGreaterThan(1e-2);
  });
});
