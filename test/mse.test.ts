import { describe, it } from 'vitest';
import { mseBackward, mseForward } from '../src/kernels/index.js';
import { expectClose } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { randomArray, size } from './helpers/random.js';

describe('mean squared error', () => {
  const gpu = useGpu();
  for (const shape of [
    [1, 3, 5, 7],
    [1, 1, 1, 1],
    [2, 5, 9, 13],
  ]) {
    const target = randomArray(size(shape), 41);
    describeDifferentiable(gpu, {
      name: `mse [${shape}]`,
      inputShape: shape,
      outputShape: [1],
      input: randomArray(size(shape), 42),
      forward: (ctx, a) => {
        const b = ctx.upload(shape, target);
        const loss = mseForward(ctx, a, b);
        b.release();
        return loss;
      },
      backward: (ctx, a, dLoss) => {
        const b = ctx.upload(shape, target);
        const grad = mseBackward(ctx, a, b, dLoss);
        b.release();
        return grad;
      },
      oracle: (a) => [oracle.mse(a, target)],
      oracleBackward: (a, d) => oracle.mseGrad(a, target, d[0]),
    });
  }

  it('gives the gradient with respect to the second argument as the negative', async () => {
    const ctx = gpu();
    const a = randomArray(30, 1);
    const b = randomArray(30, 2);
    const grad = mseBackward(ctx, ctx.upload([30], a), ctx.upload([30], b), ctx.upload([1], [1.5]), 'b');
    expectClose(await grad.read(), oracle.mseGrad(a, b, -1.5), 1e-6, 'mse gradient wrt b');
  });
});
