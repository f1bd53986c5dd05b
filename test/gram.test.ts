import { describe } from 'vitest';
import { gramBackward, gramForward } from '../src/kernels/index.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { randomArray, size } from './helpers/random.js';

describe('gram', () => {
  const gpu = useGpu();
  // Channel counts below, at and above the 4×4 block and the 8×8 workgroup; 1 pixel; batch 2.
  for (const shape of [[1, 3, 4, 5], [2, 5, 3, 3], [1, 1, 1, 1], [1, 37, 2, 3], [1, 6, 1, 1], [1, 4, 7, 9]]) {
    const s = shape4(shape);
    describeDifferentiable(gpu, {
      name: `gram [${shape}]`,
      inputShape: shape,
      outputShape: [s[0], s[1], s[1]],
      input: randomArray(size(shape), 31 + s[1]),
      forward: gramForward,
      backward: gramBackward,
      oracle: (x) => oracle.gram(x, s),
      oracleBackward: (x, dg) => oracle.gramGrad(x, s, dg),
    });
  }
});
