import { describe, expect, it } from 'vitest';
import { maxPool2x2Backward, maxPool2x2Forward } from '../src/kernels/index.js';
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
