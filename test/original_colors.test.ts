import { describe, it } from 'vitest';
import { originalColors } from '../src/kernels/index.js';
import { expectClose } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { randomArray, size } from './helpers/random.js';

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
