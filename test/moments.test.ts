// Per-channel raw moments of features (src/kernels/moments.ts): the mean, E[x²], each pixel weighted
// by a mask or not, whole and band by band past one binding; [μ, E[x²]] to [μ, σ]; against float64
// oracles, finite differences, and broken shaders that must fail.

import { describe, expect, it } from 'vitest';
import type { DeviceTensor, GpuContext } from '../src/gpu/index.js';
import { momentsBackward, momentsForward, momentsStd, momentsStdBackward, type MomentOrders } from '../src/kernels/index.js';
import { cappedGpu } from './helpers/banding.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, EXACT_TOLERANCE } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle-matrix.js';
import { randomArray } from './helpers/random.js';

const [C, H, W] = [3, 5, 7];
const P = H * W;
/** Mask weights in [0, 1] with mean > 0. */
const WEIGHTS = Float64Array.from(randomArray(P, 7), (v) => Math.fround((v + 1) / 2));
const WEIGHTS_MEAN = WEIGHTS.reduce((s, v) => s + v, 0) / P;

function withMask<T>(ctx: GpuContext, weighted: boolean, body: (mask?: { weights: DeviceTensor; mean: number }) => T): T {
  if (!weighted) return body();
  const weights = ctx.upload([1, 1, H, W], WEIGHTS);
  try {
    return body({ weights, mean: WEIGHTS_MEAN });
  } finally {
    weights.release();
  }
}

/** Σ dm ⊙ ∂moments/∂x, exactly: scale·w_p·(dμ_c + 2·x·dE_c). */
function momentsGrad(x: ArrayLike<number>, dm: ArrayLike<number>, orders: MomentOrders, w?: ArrayLike<number>): Float64Array {
  const mean = w ? WEIGHTS_MEAN : 1;
  return Float64Array.from({ length: C * P }, (_, e) => {
    const [c, p] = [Math.floor(e / P), e % P];
    const g = dm[c]! + (orders === 2 ? 2 * x[e]! * dm[C + c]! : 0);
    return ((w ? w[p]! : 1) * g) / (P * mean);
  });
}

function describeMoments(gpu: () => GpuContext, name: string, orders: MomentOrders, weighted: boolean): void {
  const w = weighted ? WEIGHTS : undefined;
  describeDifferentiable(gpu, {
    name,
    inputShape: [1, C, H, W],
    outputShape: [orders, C],
    input: randomArray(C * P, 3),
    forward: (ctx, x) => withMask(ctx, weighted, (mask) => momentsForward(ctx, x, orders, mask)),
    backward: (ctx, x, dy) => withMask(ctx, weighted, (mask) => momentsBackward(ctx, x, dy, mask)),
    oracle: (x) => oracle.moments(x, C, P, orders, w),
    oracleBackward: (x, dy) => momentsGrad(x, dy, orders, w),
  });
}

describe('per-channel moments', () => {
  const gpu = useGpu();
  for (const orders of [1, 2] as const)
    for (const weighted of [false, true])
      describeMoments(gpu, `moments, orders ${orders}${weighted ? ', weighted' : ''}`, orders, weighted);
});

describe('per-channel moments past one binding (bands of rows)', () => {
  // x is 420 bytes: a 128-byte cap makes bands of 2 rows (3·7·4 = 84 bytes a row), the last of 1.
  const gpu = cappedGpu(useGpu(), 128);
  describeMoments(gpu, 'moments banded, orders 2, weighted', 2, true);
});

describe('[μ, E[x²]] to [μ, σ]', () => {
  const gpu = useGpu();
  const eps = 1e-3;
  // E[x²] above μ² (a variance of at least 0.1), as moments of real features are.
  const m = Float64Array.from(randomArray(2 * C, 5), (v, i) => (i < C ? v : 0.1 + v * v + randomArray(C, 6)[i - C]! ** 2));
  const msArr = Float64Array.from(m, (v, i) => (i < C ? v : m[i - C]! ** 2 + 0.2 + Math.abs(v)));
  describeDifferentiable(gpu, {
    name: 'moments to mean and deviation',
    inputShape: [2, C],
    outputShape: [2, C],
    input: msArr,
    forward: (ctx, x) => momentsStd(ctx, x, eps),
    backward: (ctx, x, dy) => momentsStdBackward(ctx, x, dy, eps),
    oracle: (x) => oracle.momentsStd(x, eps),
    oracleBackward: (x, dy) =>
      Float64Array.from({ length: 2 * C }, (_, i) => {
        const c = i % C;
        const sigma = Math.sqrt(x[C + c]! - x[c]! ** 2 + eps);
        return i < C ? dy[c]! - (dy[C + c]! * x[c]!) / sigma : dy[C + c]! / (2 * sigma);
      }),
    deviceStep: 1e-3,
  });
});

describe('broken moments kernels fail the oracle', () => {
  const gpu = useGpu();
  const x = randomArray(C * P, 3);
  const BREAKS = [
    ['forward ignoring the weights', 'moments_forward', 'weight = w[i];', 'weight = w[i] * 0.0 + 1.0;'],
    ['backward without the 2 of d(x²)', 'moments_backward', '2.0 * x[e]', 'x[e]'],
    ['std without eps', 'moments_std', '0.0) + p.eps)', '0.0))'],
  ] as const;
  for (const [what, shader, correct, broken] of BREAKS) {
    it(what, async () => {
      const ctx = withBrokenShader(gpu(), shader, correct, broken);
      const xt = ctx.upload([1, C, H, W], x);
      const [y, expected] = withMask(ctx, true, (mask) => {
        if (shader === 'moments_forward') return [momentsForward(ctx, xt, 2, mask), oracle.moments(x, C, P, 2, WEIGHTS)] as const;
        const dm = ctx.upload([2, C], randomArray(2 * C, 8));
        if (shader === 'moments_backward')
          return [momentsBackward(ctx, xt, dm, mask), momentsGrad(x, randomArray(2 * C, 8), 2, WEIGHTS)] as const;
        const m = momentsForward(ctx, xt, 2);
        return [momentsStd(ctx, m, 0.5), oracle.momentsStd(oracle.moments(x, C, P, 2), 0.5)] as const;
      });
      expect(relativeError(await y.read(), expected)).toBeGreaterThan(EXACT_TOLERANCE * 10);
    });
  }
});
