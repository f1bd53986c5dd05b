import { describe } from 'vitest';
import { avgPool2x2Backward, avgPool2x2Forward } from '../src/kernels/index.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { randomArray, size } from './helpers/random.js';

describe('average-pool 2×2', () => {
  const gpu = useGpu();
  for (const shape of [
    [1, 3, 6, 8],
    [2, 2, 5, 7],
    [1, 1, 2, 2],
    [1, 5, 3, 9],
  ]) {
    const s = shape4(shape);
    describeDifferentiable(gpu, {
      name: `avgpool [${shape}]`,
      inputShape: shape,
      outputShape: [s[0], s[1], Math.floor(s[2] / 2), Math.floor(s[3] / 2)],
      input: randomArray(size(shape), 23),
      forward: avgPool2x2Forward,
      backward: avgPool2x2Backward,
      oracle: (x) => oracle.avgPool(x, s),
      oracleBackward: (_x, dy) => oracle.avgPoolGrad(s, dy),
    });
  }
});
