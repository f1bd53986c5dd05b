import { describe, expect, it } from 'vitest';
import { tvBackward, tvForward } from '../src/kernels/index.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { distinctArray, size } from './helpers/random.js';

describe('total variation', () => {
  const gpu = useGpu();
  for (const shape of [
    [1, 3, 5, 7],
    [1, 1, 1, 6],
    [1, 2, 4, 1],
    [2, 3, 9, 11],
  ]) {
    const s = shape4(shape);
    describeDifferentiable(gpu, {
      name: `tv [${shape}]`,
      inputShape: shape,
      outputShape: [1],
      input: distinctArray(size(shape), 51, 0.05),
      // The loss is O(1) while each partial derivative is O(1/n): f32 differences of the loss lose
      // about n·eps/h relative, so this check is looser here (the float64 checks stay tight).
      deviceDiffTolerance: 3e-2,
      forward: tvForward,
      backward: tvBackward,
      oracle: (x) => [oracle.tv(x, s)],
      oracleBackward: (x, d) => oracle.tvGrad(x, s, d[0]),
    });
  }

  it('is zero, with a zero gradient, on a constant image', async () => {
    const ctx = gpu();
    const x = ctx.upload([1, 3, 4, 4], new Array(48).fill(0.25));
    expect(Array.from(await tvForward(ctx, x).read())).toEqual([0]);
    const grad = await tvBackward(ctx, x, ctx.upload([1], [1])).read();
    expect(grad.every((g) => g === 0)).toBe(true);
  });
});
