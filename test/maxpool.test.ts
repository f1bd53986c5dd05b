import { describe, expect, it } from 'vitest';
import { maxPool2x2Backward, maxPool2x2Forward } from '../src/kernels/index.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { expectClose } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { distinctArray, size } from './helpers/random.js';

describe('max-pool 2×2', () => {
  const gpu = useGpu();

  for (const shape of [
    [1, 3, 6, 8],
    [2, 2, 5, 7],
    [1, 1, 2, 2],
    [1, 5, 3, 9],
    [1, 2, 3, 3],
    // Widths that are multiples of 4 take maxpool_backward_vec4 (above: [1, 3, 6, 8]); odd heights.
    [2, 3, 7, 12],
    [1, 2, 5, 4],
  ]) {
    const s = shape4(shape);
    describeDifferentiable(gpu, {
      name: `maxpool [${shape}]`,
      inputShape: shape,
      outputShape: [s[0], s[1], Math.floor(s[2] / 2), Math.floor(s[3] / 2)],
      input: distinctArray(size(shape), 21, 0.05),
      forward: maxPool2x2Forward,
      backward: maxPool2x2Backward,
      oracle: (x) => oracle.maxPool(x, s),
      oracleBackward: (x, dy) => oracle.maxPoolGrad(x, s, dy),
    });
  }

  it('max-pool backward sends each gradient to exactly one input, the first maximum on ties', async () => {
    const ctx = gpu();
    // Two windows of equal values; the second has its max at the bottom-right.
    const x = ctx.upload([1, 1, 2, 4], [5, 5, 1, 2, 5, 5, 3, 4]);
    const dy = ctx.upload([1, 1, 1, 2], [10, 20]);
    const dx = await maxPool2x2Backward(ctx, x, dy).read();
    expect(Array.from(dx)).toEqual([10, 0, 0, 0, 0, 0, 0, 20]);
  });

  it('the vec4 gradient (widths a multiple of 4) routes ties like the forward, at every window position', async () => {
    const ctx = gpu();
    // Four windows per row pair; window k has its (first) maximum at position k (window 0 ties
    // with position 3); the last row (odd height) gets nothing.
    const x = [9, 1, 0, 9, 1, 2, 2, 1, 2, 9, 0, 3, 5, 0, 0, 9, 4, 4, 4, 4, 7, 7, 7, 7];
    const dy = [10, 20, 30, 40];
    const before = ctx.dispatchCounts.get('maxpool_backward_vec4') ?? 0;
    const dx = await maxPool2x2Backward(ctx, ctx.upload([1, 1, 3, 8], x), ctx.upload([1, 1, 1, 4], dy)).read();
    expect(ctx.dispatchCounts.get('maxpool_backward_vec4')).toBe(before + 1);
    expect(Array.from(dx)).toEqual(Array.from(oracle.maxPoolGrad(x, [1, 1, 3, 8], dy)));
    expect(Array.from(dx)).toEqual([10, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 30, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('a vec4 gradient that routes the bottom row like the top one fails the oracle check', async () => {
    const broken = withBrokenShader(gpu(), 'maxpool_backward_vec4', 'let lower = row % 2u;', 'let lower = 0u;');
    const shape = [1, 2, 4, 8];
    const x = distinctArray(size(shape), 23, 0.05);
    const dy = distinctArray(size(shape) / 4, 24, 0.05);
    const dx = await maxPool2x2Backward(broken, broken.upload(shape, x), broken.upload([1, 2, 2, 4], dy)).read();
    expect(() => expectClose(dx, oracle.maxPoolGrad(x, shape4(shape), dy), 1e-6, 'broken')).toThrow();
  });

  it('pools a single row to an empty output', async () => {
    const ctx = gpu();
    const x = ctx.upload([1, 1, 1, 4], [1, 2, 3, 4]);
    const y = maxPool2x2Forward(ctx, x);
    expect(y.shape).toEqual([1, 1, 0, 2]);
    const dx = await maxPool2x2Backward(ctx, x, y).read();
    expect(Array.from(dx)).toEqual([0, 0, 0, 0]);
  });

  it('floors odd sizes: the last row and column get no gradient', async () => {
    const ctx = gpu();
    const x = ctx.upload([1, 1, 3, 3], [1, 2, 100, 3, 4, 100, 100, 100, 100]);
    const y = maxPool2x2Forward(ctx, x);
    expect(y.shape).toEqual([1, 1, 1, 1]);
    expect(Array.from(await y.read())).toEqual([4]);
    const dx = await maxPool2x2Backward(ctx, x, ctx.upload([1, 1, 1, 1], [1])).read();
    expect(Array.from(dx)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });
});
