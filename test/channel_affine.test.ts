import { describe, it } from 'vitest';
import { channelAffineBackward, channelAffineForward } from '../src/kernels/index.js';
import { expectClose } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { randomArray, size } from './helpers/random.js';

describe('channel affine (pixel conventions, input transform)', () => {
  const gpu = useGpu();
  const bgr = { perm: [2, 1, 0] as const, a: [57.1, 58.6, 55.8] as const, b: [-0.4, 3.1, 7.7] as const };
  for (const shape of [
    [1, 3, 5, 7],
    [2, 3, 1, 1],
    [1, 3, 13, 21],
  ]) {
    const s = shape4(shape);
    describeDifferentiable(gpu, {
      name: `channel affine BGR [${shape}]`,
      inputShape: shape,
      outputShape: shape,
      input: randomArray(size(shape), 61),
      forward: (ctx, x) => channelAffineForward(ctx, x, bgr),
      backward: (ctx, _x, dy) => channelAffineBackward(ctx, dy, bgr),
      oracle: (x) => oracle.channelAffine(x, s, bgr.perm, bgr.a, bgr.b),
      oracleBackward: (_x, dy) => oracle.channelAffine(dy, s, [2, 1, 0], [bgr.a[2], bgr.a[1], bgr.a[0]], [0, 0, 0]),
    });
  }

  it('clamps to the given range', async () => {
    const ctx = gpu();
    const x = randomArray(3 * 4 * 4, 62, 3);
    const t = { perm: [0, 1, 2] as const, a: [1, 2, 3] as const, b: [0.5, 0, -0.5] as const };
    const y = channelAffineForward(ctx, ctx.upload([1, 3, 4, 4], x), t, 0, 1);
    expectClose(await y.read(), oracle.channelAffine(x, [1, 3, 4, 4], t.perm, t.a, t.b, 0, 1), 1e-6, 'channel affine clamp');
  });
});
