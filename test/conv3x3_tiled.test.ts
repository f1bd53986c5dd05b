import { describe, expect, it } from 'vitest';
import type { DeviceTensor, GpuContext } from '../src/gpu/index.js';
import { flipConv3x3Weights } from '../src/kernels/index.js';
import {
  conv3x3Tiled,
  TILED_CONV_VARIANTS,
  tiledVariantFits,
  tiledWorkgroupBytes,
  tiledWorkgroupSize,
  type TiledConvVariant,
} from '../src/kernels/conv3x3_tiled.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, EXACT_TOLERANCE, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { distinctArray, randomArray, size } from './helpers/random.js';

type Case = [shape: number[], cout: number];

function forward(ctx: GpuContext, v: TiledConvVariant, x: DeviceTensor, weights: Float64Array, bias?: Float64Array, reluInput = false) {
  const cout = weights.length / (x.shape[1]! * 9);
  const wt = ctx.upload([cout, x.shape[1]!, 3, 3], weights);
  const bt = bias && ctx.upload([cout], bias);
  const y = conv3x3Tiled(ctx, `tiled ${v.name}`, x, wt, bt, v, { reluInput });
  wt.release();
  bt?.release();
  return y;
}

/** dx for y = conv3x3(x, w): the tiled forward of dy with the flipped weights, masked by [mask > 0]. */
function inputGrad(ctx: GpuContext, v: TiledConvVariant, dy: DeviceTensor, weights: Float64Array, cin: number, mask?: DeviceTensor) {
  const cout = dy.shape[1]!;
  const wt = ctx.upload([cout, cin, 3, 3], weights);
  const flipped = flipConv3x3Weights(ctx, wt);
  const dx = conv3x3Tiled(ctx, `tiled ${v.name} input grad`, dy, flipped, undefined, v, { mask });
  wt.release();
  flipped.release();
  return dx;
}

describe('conv3x3 tiled variants: the limits they need', () => {
  it('every variant fits WebGPU’s default limits (16 KiB workgroup memory, 256 invocations)', () => {
    for (const v of TILED_CONV_VARIANTS) {
      expect(tiledWorkgroupBytes(v), v.name).toBeLessThanOrEqual(16384);
      expect(tiledWorkgroupSize(v), v.name).toBeLessThanOrEqual(256);
    }
    expect(new Set(TILED_CONV_VARIANTS.map((v) => v.name)).size).toBe(TILED_CONV_VARIANTS.length);
  });
});

describe('conv3x3 tiled (workgroup-memory implicit GEMM)', () => {
  const gpu = useGpu();

  it('each variant compiles with the workgroup size its launcher computes, and fits this device', () => {
    const ctx = gpu();
    for (const v of TILED_CONV_VARIANTS) expect(tiledVariantFits(ctx, v), v.name).toBe(true);
  });

  for (const variant of TILED_CONV_VARIANTS) {
    // H, W not multiples of the tile, Cin not a multiple of the staged chunk, Cout of the block; batch 2.
    const [shape, cout]: Case = [[2, 5, 7, 11], 7];
    const s = shape4(shape);
    const [n, cin, h, w] = s;
    const weights = randomArray(cout * cin * 9, 31 + cout);
    const bias = randomArray(cout, 32);
    describeDifferentiable(gpu, {
      name: `conv3x3 ${variant.name} [${shape}]→${cout}`,
      inputShape: shape,
      outputShape: [n, cout, h, w],
      input: randomArray(size(shape), 33),
      forward: (ctx, xt) => forward(ctx, variant, xt, weights, bias),
      backward: (ctx, _xt, dy) => inputGrad(ctx, variant, dy, weights, cin),
      oracle: (xs) => oracle.conv3x3(xs, s, weights, cout, bias),
      oracleBackward: (xs, dy) => oracle.conv3x3Grads(xs, s, weights, cout, dy).dx,
    });

    // conv3x3(relu(x)): ReLU as the input is staged, its mask as dx is stored; Cout over one channel tile.
    const [rshape, rcout]: Case = [[1, 9, 5, 7], 70];
    const rs = shape4(rshape);
    const rweights = randomArray(rcout * rs[1] * 9, 41);
    const rbias = randomArray(rcout, 42);
    describeDifferentiable(gpu, {
      name: `relu → conv3x3 ${variant.name} [${rshape}]→${rcout}`,
      inputShape: rshape,
      outputShape: [1, rcout, rs[2], rs[3]],
      input: distinctArray(size(rshape), 43, 0.05), // away from the ReLU's kink
      forward: (ctx, xt) => forward(ctx, variant, xt, rweights, rbias, true),
      backward: (ctx, xt, dy) => inputGrad(ctx, variant, dy, rweights, rs[1], xt),
      oracle: (xs) => oracle.conv3x3(oracle.relu(xs), rs, rweights, rcout, rbias),
      oracleBackward: (xs, dy) => oracle.reluGrad(xs, oracle.conv3x3Grads(oracle.relu(xs), rs, rweights, rcout, dy).dx),
    });
  }

  // 1×1, 1×n, n×1, one channel, and an image of several tiles each way with two channel tiles.
  const EDGE_CASES: Case[] = [
    [[2, 3, 1, 1], 5],
    [[1, 4, 1, 23], 6],
    [[1, 2, 17, 1], 3],
    [[1, 1, 6, 4], 1],
    [[1, 6, 20, 40], 70],
  ];
  it('every variant matches the oracle, forward and input gradient, plain and relu/masked, on 1×1, 1×n, n×1 and multi-tile images', async () => {
    const ctx = gpu();
    for (const [shape, cout] of EDGE_CASES) {
      const s = shape4(shape);
      const [n, cin, h, w] = s;
      const x = randomArray(size(shape), 51);
      const weights = randomArray(cout * cin * 9, 52);
      const bias = randomArray(cout, 53);
      const dy = randomArray(n * cout * h * w, 54);
      const xt = ctx.upload(shape, x);
      const dyt = ctx.upload([n, cout, h, w], dy);
      for (const v of TILED_CONV_VARIANTS) {
        const y = forward(ctx, v, xt, weights, bias);
        expectClose(await y.read(), oracle.conv3x3(x, s, weights, cout, bias), EXACT_TOLERANCE, `${v.name} forward [${shape}]→${cout}`);
        const dx = inputGrad(ctx, v, dyt, weights, cin);
        const expected = oracle.conv3x3Grads(x, s, weights, cout, dy).dx;
        expectClose(await dx.read(), expected, EXACT_TOLERANCE, `${v.name} input grad [${shape}]→${cout}`);
        // relu → conv: ReLU on the staged input, the ReLU's mask (x itself) on dx's store.
        const yr = forward(ctx, v, xt, weights, bias, true);
        const expectedRelu = oracle.conv3x3(oracle.relu(x), s, weights, cout, bias);
        expectClose(await yr.read(), expectedRelu, EXACT_TOLERANCE, `${v.name} relu forward [${shape}]→${cout}`);
        const dxm = inputGrad(ctx, v, dyt, weights, cin, xt);
        expectClose(await dxm.read(), oracle.reluGrad(x, expected), EXACT_TOLERANCE, `${v.name} masked input grad [${shape}]→${cout}`);
        for (const t of [y, dx, yr, dxm]) t.release();
      }
      xt.release();
      dyt.release();
    }
  });

  it('runs without bias', async () => {
    const ctx = gpu();
    const s = shape4([1, 3, 5, 9]);
    const x = randomArray(size(s), 61);
    const weights = randomArray(4 * 3 * 9, 62);
    const xt = ctx.upload(s, x);
    const y = forward(ctx, TILED_CONV_VARIANTS[0]!, xt, weights);
    expectClose(await y.read(), oracle.conv3x3(x, s, weights, 4), EXACT_TOLERANCE, 'tiled forward without bias');
    xt.release();
    y.release();
  });

  // A wrong kernel must fail the same comparison: the halo shifted by a pixel, or the barrier that
  // keeps the next chunk's staging from overwriting what slower invocations still read removed.
  const BREAKS: Array<[string, string, string]> = [
    ['a halo one pixel off', 'let ix = i32(tx0 + col) - 1;', 'let ix = i32(tx0 + col);'],
    ['no barrier after the chunk', 'workgroupBarrier(); // the next chunk', '// workgroupBarrier(); the next chunk'],
  ];
  for (const [what, correct, broken] of BREAKS) {
    it(`a broken kernel (${what}) fails the oracle comparison`, async () => {
      const ctx = withBrokenShader(gpu(), 'conv3x3_tiled', correct, broken);
      const s = shape4([1, 12, 10, 21]);
      const x = randomArray(size(s), 71);
      const weights = randomArray(40 * 12 * 9, 72);
      const xt = ctx.upload(s, x);
      for (const v of TILED_CONV_VARIANTS) {
        const y = forward(ctx, v, xt, weights);
        expect(relativeError(await y.read(), oracle.conv3x3(x, s, weights, 40)), `${v.name} with ${what}`).toBeGreaterThan(1e-2);
        y.release();
      }
      xt.release();
    });
  }
});
