// The temporal loss Σ c·(x − target)² / x.size and its gradient wrt x (src/kernels/temporal_loss.ts):
// float64 oracle and finite differences, whole and in flat chunks past one binding (the certainty
// read at the chunk's offset), through the tape (ops.temporalLoss), and broken shaders that must fail.

import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/gpu/index.js';
import { ops, Tape, Tensor } from '../src/graph/index.js';
import { temporalLossBackward, temporalLossForward } from '../src/kernels/index.js';
import { cappedGpu } from './helpers/banding.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, EXACT_TOLERANCE } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle-video.js';
import { randomArray, size } from './helpers/random.js';

/** Certainties in [0, 1] (fractional) or {0, 1} (binary, as the consistency check gives). */
function certainties(n: number, seed: number, binary = false): Float64Array {
  return Float64Array.from(randomArray(n, seed), (v) => (binary ? (v > 0 ? 1 : 0) : Math.fround((v + 1) / 2)));
}

interface LossCase {
  shape: [number, number, number, number];
  binary: boolean;
  /** Binding cap in bytes and the chunks it makes (null: uncapped). */
  cap: [number, number] | null;
}

const CASES: LossCase[] = [
  { shape: [1, 3, 5, 7], binary: false, cap: null },
  { shape: [2, 3, 4, 6], binary: true, cap: null },
  { shape: [1, 1, 3, 4], binary: false, cap: null },
  // 315 values in chunks of 128, the certainty (35) bound whole and read at each chunk's offset,
  // which the plane does not divide.
  { shape: [3, 3, 5, 7], binary: false, cap: [512, 3] },
  // N·C = 1: the certainty is as large as x and chunked with it (135 = 64 + 64 + 7).
  { shape: [1, 1, 9, 15], binary: true, cap: [256, 3] },
];

function inputs({ shape, binary }: LossCase) {
  const n = size(shape);
  return { target: randomArray(n, 61), certainty: certainties(shape[2] * shape[3], 62, binary), x: randomArray(n, 63) };
}

function run(ctx: GpuContext, c: LossCase, x: ArrayLike<number>, dLoss?: number) {
  const { target, certainty } = inputs(c);
  const plane = [1, 1, c.shape[2], c.shape[3]];
  const [xt, tt, ct] = [ctx.upload(c.shape, x), ctx.upload(c.shape, target), ctx.upload(plane, certainty)];
  const d = dLoss === undefined ? null : ctx.upload([1], [dLoss]);
  const y = d ? temporalLossBackward(ctx, xt, tt, ct, d) : temporalLossForward(ctx, xt, tt, ct);
  for (const t of [xt, tt, ct, d]) t?.release();
  return y;
}

describe('temporal loss', () => {
  const gpu = useGpu();
  for (const c of CASES) {
    const { target, certainty, x } = inputs(c);
    const name = `temporal loss [${c.shape}] ${c.binary ? 'binary' : 'fractional'} certainty${c.cap ? `, ${c.cap[1]} chunks` : ''}`;
    describe(name, () => {
      const ctx = c.cap ? cappedGpu(gpu, c.cap[0]) : gpu;
      describeDifferentiable(ctx, {
        name,
        inputShape: c.shape,
        outputShape: [1],
        input: x,
        forward: (g, xt) => {
          const [tt, ct] = [g.upload(c.shape, target), g.upload([1, 1, c.shape[2], c.shape[3]], certainty)];
          const y = temporalLossForward(g, xt, tt, ct);
          tt.release();
          ct.release();
          return y;
        },
        backward: (g, xt, d) => {
          const [tt, ct] = [g.upload(c.shape, target), g.upload([1, 1, c.shape[2], c.shape[3]], certainty)];
          const y = temporalLossBackward(g, xt, tt, ct, d);
          tt.release();
          ct.release();
          return y;
        },
        oracle: (v) => [oracle.temporalLoss(v, target, certainty)],
        oracleBackward: (v, d) => oracle.temporalLossGrad(v, target, certainty, d[0]),
      });
      if (c.cap) {
        it(`${name}: runs in ${c.cap[1]} chunks`, async () => {
          const g = ctx();
          const before = g.dispatchCounts.get('temporal_loss_forward') ?? 0;
          (await run(g, c, x)).release();
          expect((g.dispatchCounts.get('temporal_loss_forward') ?? 0) - before).toBe(c.cap![1]);
        });
      }
    });
  }

  it('is zero, with a zero gradient, where the certainty is zero, however far x is from the target', async () => {
    const ctx = gpu();
    const shape = [1, 3, 2, 3];
    const x = ctx.upload(shape, randomArray(18, 1, 10));
    const target = ctx.upload(shape, randomArray(18, 2, 10));
    const c = ctx.zeros([1, 1, 2, 3]);
    expect(Array.from(await temporalLossForward(ctx, x, target, c).read())).toEqual([0]);
    const grad = await temporalLossBackward(ctx, x, target, c, ctx.upload([1], [1])).read();
    expect(grad.every((g) => g === 0)).toBe(true);
  });

  it('refuses a certainty that is not [1, 1, H, W] for x, naming both shapes', () => {
    const ctx = gpu();
    const x = ctx.zeros([1, 3, 4, 5]);
    expect(() => temporalLossForward(ctx, x, ctx.zeros([1, 3, 4, 5]), ctx.zeros([1, 3, 4, 5]))).toThrow(
      /certainty must have shape \[1,1,4,5\] for x \[1,3,4,5\], got \[1,3,4,5\]/,
    );
    expect(() => temporalLossForward(ctx, x, ctx.zeros([1, 3, 5, 4]), ctx.zeros([1, 1, 4, 5]))).toThrow(/must have the same shape/);
  });

  it('ops.temporalLoss: weighted through the tape, its gradient wrt x is the oracle gradient', async () => {
    const ctx = gpu();
    const c = CASES[0]!;
    const { target, certainty, x } = inputs(c);
    const tape = new Tape(ctx);
    const xt = Tensor.leaf(ctx.upload(c.shape, x), true, 'x');
    const [tt, ct] = [ctx.upload(c.shape, target), ctx.upload([1, 1, c.shape[2], c.shape[3]], certainty)];
    const loss = ops.weightedSum(tape, [[ops.temporalLoss(tape, xt, tt, ct), 3]]);
    expectClose(await loss.value.read(), [3 * oracle.temporalLoss(x, target, certainty)], EXACT_TOLERANCE, 'ops.temporalLoss value');
    const [dx] = tape.backward(loss, [xt]);
    expectClose(await dx!.read(), oracle.temporalLossGrad(x, target, certainty, 3), EXACT_TOLERANCE, 'ops.temporalLoss gradient');
    tape.dispose();
    for (const t of [dx!, xt.value, tt, ct]) t.release();
  });
});

describe('a broken temporal loss fails the oracle', () => {
  const gpu = useGpu();
  const OFFSET = '(p.offset + i) % p.plane';
  const BREAKS: Array<[string, 'temporal_loss_forward' | 'temporal_loss_backward', string, string, LossCase]> = [
    [
      'forward ignoring the certainty',
      'temporal_loss_forward',
      `return certainty[${OFFSET}] * d * d;`,
      `return (certainty[${OFFSET}] * 0.0 + 1.0) * d * d;`,
      CASES[0]!,
    ],
    ['forward reading the certainty without the chunk offset', 'temporal_loss_forward', OFFSET, 'i % p.plane', CASES[3]!],
    ['backward ignoring the certainty', 'temporal_loss_backward', `certainty[${OFFSET}]`, `(certainty[${OFFSET}] * 0.0 + 1.0)`, CASES[1]!],
    ['backward reading the certainty without the chunk offset', 'temporal_loss_backward', OFFSET, 'i % p.plane', CASES[3]!],
  ];
  for (const [what, shader, correct, broken, c] of BREAKS) {
    it(what, async () => {
      const ctx = withBrokenShader(gpu(), shader, correct, broken);
      const { target, certainty, x } = inputs(c);
      const backward = shader === 'temporal_loss_backward';
      if (c.cap) ctx.capBinding(c.cap[0]);
      const y = run(ctx, c, x, backward ? 1 : undefined);
      ctx.capBinding(null);
      const expected = backward ? oracle.temporalLossGrad(x, target, certainty) : [oracle.temporalLoss(x, target, certainty)];
      expect(relativeError(await y.read(), expected)).toBeGreaterThan(EXACT_TOLERANCE * 10);
      y.release();
    });
  }
});
