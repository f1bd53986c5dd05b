// The certainty kernels of the video job (src/kernels/certainty.ts): Ruder et al.'s long-term
// certainties (nearer frames take precedence) and the starting image c·warped + (1 − c)·content,
// against their float64 oracles, whole and in chunks past one binding; broken shaders must fail.

import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/gpu/index.js';
import { certaintyMix, longTermCertainty } from '../src/kernels/index.js';
import { capped } from './helpers/banding.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, EXACT_TOLERANCE } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle-video.js';
import { randomArray, size } from './helpers/random.js';

/** Certainties in [0, 1] (fractional) or {0, 1} (binary, as the consistency check gives). */
const certainties = (n: number, seed: number, binary: boolean) =>
  Float64Array.from(randomArray(n, seed), (v) => (binary ? (v > -0.3 ? 1 : 0) : Math.fround((v + 1) / 2)));

async function longTerm(ctx: GpuContext, plane: number[], cs: readonly Float64Array[], cap: number | null = null): Promise<Float32Array[]> {
  const inputs = cs.map((c) => ctx.upload(plane, c));
  const outs = capped(ctx, cap, () => longTermCertainty(ctx, inputs));
  const values = await Promise.all(outs.map((t) => t.read()));
  for (const t of [...inputs, ...outs]) t.release();
  return values;
}

async function mix(ctx: GpuContext, shape: number[], w: Float64Array, content: Float64Array, c: Float64Array, cap: number | null = null) {
  const [wt, ct, cc] = [ctx.upload(shape, w), ctx.upload(shape, content), ctx.upload([1, 1, shape[2]!, shape[3]!], c)];
  const out = capped(ctx, cap, () => certaintyMix(ctx, wt, ct, cc));
  const values = await out.read();
  for (const t of [wt, ct, cc, out]) t.release();
  return values;
}

describe('long-term certainty', () => {
  const gpu = useGpu();
  const plane = [1, 1, 9, 15];
  for (const binary of [true, false]) {
    const cs = [11, 12, 13].map((seed) => certainties(135, seed, binary));
    for (const cap of [null, 256]) {
      it(`matches the oracle on three ${binary ? 'binary' : 'fractional'} certainties${cap ? ' in chunks (135 = 64 + 64 + 7)' : ''}`, async () => {
        const before = gpu().dispatchCounts.get('certainty_long_term') ?? 0;
        const values = await longTerm(gpu(), plane, cs, cap);
        expect((gpu().dispatchCounts.get('certainty_long_term') ?? 0) - before).toBe(cs.length * (cap ? 3 : 1));
        oracle
          .longTermCertainty(cs)
          .forEach((expected, j) => expectClose(values[j]!, expected, EXACT_TOLERANCE, `long-term certainty ${j}`));
      });
    }
  }

  it('gives each pixel to the nearest frame that sees it reliably', async () => {
    // Pixels: seen by all three, by the 2nd and 3rd, by the 3rd only, by none.
    const cs = [Float64Array.of(1, 0, 0, 0), Float64Array.of(1, 1, 0, 0), Float64Array.of(1, 1, 1, 0)];
    const values = await longTerm(gpu(), [1, 1, 1, 4], cs);
    expect(values.map((v) => Array.from(v))).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ]);
  });

  it('returns the one certainty as it is, and nothing for no frames', async () => {
    const c = certainties(135, 14, false);
    expectClose((await longTerm(gpu(), plane, [c]))[0]!, c, 0, 'long-term certainty of one frame');
    expect(longTermCertainty(gpu(), [])).toEqual([]);
  });

  it('refuses certainties of different shapes', () => {
    const ctx = gpu();
    expect(() => longTermCertainty(ctx, [ctx.zeros([1, 1, 4, 5]), ctx.zeros([1, 1, 5, 4])])).toThrow(/certainties\[1\] \[1,1,5,4\]/);
  });
});

describe('certainty mix', () => {
  const gpu = useGpu();
  for (const [shape, cap] of [
    [[1, 3, 5, 7], null],
    [[2, 3, 4, 6], null],
    [[2, 3, 5, 7], 256], // 210 values in chunks of 64 (4), the certainty (35) bound whole and read at each chunk's offset
    [[1, 1, 9, 15], 256], // N·C = 1: the certainty is chunked with the images
  ] as Array<[number[], number | null]>) {
    const n = size(shape);
    const [w, content] = [randomArray(n, 21), randomArray(n, 22)];
    const c = certainties(shape[2]! * shape[3]!, 23, false);
    it(`matches the oracle [${shape}]${cap ? ' in chunks' : ''}`, async () => {
      expectClose(
        await mix(gpu(), shape, w, content, c, cap),
        oracle.certaintyMix(w, content, c),
        EXACT_TOLERANCE,
        `certainty mix [${shape}]`,
      );
    });
  }

  it('takes reliable pixels from the warped image and the others from the content, exactly', async () => {
    const shape = [1, 3, 2, 2];
    const [w, content] = [randomArray(12, 24), randomArray(12, 25)];
    const c = Float64Array.of(1, 0, 0, 1);
    const expected = Float64Array.from(w, (v, i) => (c[i % 4] ? v : content[i]!));
    expect(Array.from(await mix(gpu(), shape, w, content, c))).toEqual(Array.from(expected, Math.fround));
  });

  // Linear in the warped image with gradient c·dOut = certaintyMix(dOut, 0, c): the same kernel
  // checked against differences of its forward.
  const shape = [1, 3, 4, 5];
  const content = randomArray(60, 26);
  const c = certainties(20, 27, false);
  describeDifferentiable(gpu, {
    name: 'certainty mix wrt the warped image',
    inputShape: shape,
    outputShape: shape,
    input: randomArray(60, 28),
    forward: (ctx, w) => {
      const [ct, cc] = [ctx.upload(shape, content), ctx.upload([1, 1, 4, 5], c)];
      const out = certaintyMix(ctx, w, ct, cc);
      ct.release();
      cc.release();
      return out;
    },
    backward: (ctx, _w, dOut) => {
      const [zero, cc] = [ctx.zeros(shape), ctx.upload([1, 1, 4, 5], c)];
      const out = certaintyMix(ctx, dOut, zero, cc);
      zero.release();
      cc.release();
      return out;
    },
    oracle: (w) => oracle.certaintyMix(w, content, c),
    oracleBackward: (_w, d) => Float64Array.from(d, (v, i) => c[i % 20]! * v),
  });
});

describe('broken certainty kernels fail their oracle', () => {
  const gpu = useGpu();
  const cs = [31, 32, 33].map((seed) => certainties(135, seed, false));
  const LONG_TERM: Array<[string, string, string]> = [
    ['long-term without the clamp at 0', 'max(c - sum[i], 0.0)', '(c - sum[i])'],
    ['long-term subtracting the previous frame only', 'sum[i] = sum[i] + c;', 'sum[i] = c;'],
  ];
  for (const [what, correct, broken] of LONG_TERM) {
    it(what, async () => {
      const values = await longTerm(withBrokenShader(gpu(), 'certainty_long_term', correct, broken), [1, 1, 9, 15], cs);
      const errors = oracle.longTermCertainty(cs).map((expected, j) => relativeError(values[j]!, expected));
      expect(Math.max(...errors)).toBeGreaterThan(EXACT_TOLERANCE * 10);
    });
  }

  const shape = [2, 3, 5, 7];
  const [w, content] = [randomArray(210, 34), randomArray(210, 35)];
  const c = certainties(35, 36, false);
  const MIX: Array<[string, string, string, number | null]> = [
    ['mix with the certainty on the content', 'c * warped[i] + (1.0 - c) * content[i]', '(1.0 - c) * warped[i] + c * content[i]', null],
    ['mix reading the certainty without the chunk offset', '(p.offset + i) % p.plane', 'i % p.plane', 256],
  ];
  for (const [what, correct, broken, cap] of MIX) {
    it(what, async () => {
      const values = await mix(withBrokenShader(gpu(), 'certainty_mix', correct, broken), shape, w, content, c, cap);
      expect(relativeError(values, oracle.certaintyMix(w, content, c))).toBeGreaterThan(EXACT_TOLERANCE * 10);
    });
  }
});
