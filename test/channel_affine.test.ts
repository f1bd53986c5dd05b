import { describe, expect, it } from 'vitest';
import { channelAffineBackward, channelAffineForward, originalColors, resize } from '../src/kernels/index.js';
import { expectClose } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { randomArray, size } from './helpers/random.js';

describe('channel affine (pixel conventions, input transform)', () => {
  const gpu = useGpu();
  const bgr = { perm: [2, 1, 0] as const, a: [57.1, 58.6, 55.8] as const, b: [-0.4, 3.1, 7.7] as const };
  for (const shape of [[1, 3, 5, 7], [2, 3, 1, 1], [1, 3, 13, 21]]) {
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

describe('resize', () => {
  const gpu = useGpu();
  const cases: Array<[number[], number, number]> = [
    [[1, 3, 37, 53], 12, 17], // shrink by non-integer factors: area filter
    [[1, 3, 8, 6], 8, 3], // shrink one axis only
    [[1, 3, 5, 7], 11, 16], // enlarge: half-pixel linear
    [[2, 1, 9, 4], 4, 9], // one axis each way
    [[1, 3, 1, 1], 3, 2],
  ];
  for (const [shape, h, w] of cases) {
    it(`[${shape}] -> ${w}×${h} matches the oracle`, async () => {
      const ctx = gpu();
      const x = randomArray(size(shape), 71);
      const y = resize(ctx, ctx.upload(shape, x), h, w);
      expect(y.shape).toEqual([shape[0], shape[1], h, w]);
      expectClose(await y.read(), oracle.resize(x, shape4(shape), h, w), 1e-5, 'resize');
    });
  }

  it('averages a checkerboard to flat grey when halving (antialiased, not nearest-neighbour)', async () => {
    const ctx = gpu();
    const board = Array.from({ length: 3 * 16 * 16 }, (_, i) => ((i % 16) + Math.floor(i / 16)) % 2);
    const y = await resize(ctx, ctx.upload([1, 3, 16, 16], board), 8, 8).read();
    for (const v of y) expect(v).toBeCloseTo(0.5, 6);
  });

  it('leaves an image already at the size unchanged', async () => {
    const ctx = gpu();
    const x = randomArray(3 * 5 * 6, 72);
    expect(Array.from(await resize(ctx, ctx.upload([1, 3, 5, 6], x), 5, 6).read())).toEqual(Array.from(x));
  });
});

describe('original colours', () => {
  const gpu = useGpu();
  it('keeps the styled luminance and the content chroma', async () => {
    const ctx = gpu();
    const shape = [1, 3, 6, 7];
    const styled = randomArray(size(shape), 81).map((v) => (v + 1) / 2);
    const content = randomArray(size(shape), 82).map((v) => (v + 1) / 2);
    const out = originalColors(ctx, ctx.upload(shape, styled), ctx.upload(shape, content));
    expectClose(await out.read(), oracle.originalColors(styled, content, shape4(shape)), 1e-5, 'original colours');
  });
});
