import { describe, expect, it } from 'vitest';
import { resize } from '../src/kernels/index.js';
import { expectClose } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { randomArray, size } from './helpers/random.js';

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
