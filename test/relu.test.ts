import { describe } from 'vitest';
import { reluBackward, reluForward } from '../src/kernels/index.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { distinctArray, size } from './helpers/random.js';

describe('relu', () => {
  const gpu = useGpu();
  for (const shape of [
    [1, 3, 5, 7],
    [2, 1, 1, 1],
    [1, 5, 3, 1],
    [300, 1, 1, 1],
  ]) {
    describeDifferentiable(gpu, {
      name: `relu [${shape}]`,
      inputShape: shape,
      outputShape: shape,
      input: distinctArray(size(shape), 11, 0.05),
      forward: reluForward,
      backward: reluBackward,
      oracle: oracle.relu,
      oracleBackward: oracle.reluGrad,
    });
  }
});
