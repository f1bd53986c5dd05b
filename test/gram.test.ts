import { describe, expect, it } from 'vitest';
import { gramBackward, gramForward, type GramOptions } from '../src/kernels/index.js';
import { useGpu } from './helpers/gpu.js';
import { describeDifferentiable, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { randomArray, size } from './helpers/random.js';

// Both implementations: one invocation per 4×4 block, and the subgroup kernels, whose forward pass
// also runs over ranges of k (chunk 8: several splits, reduced by gram_reduce; 4096: one).
const IMPLEMENTATIONS: Array<[string, GramOptions]> = [
  ['blocks', { subgroups: false }],
  ['subgroups', { subgroups: true }],
  ['subgroups, k in chunks of 8', { subgroups: true, chunk: 8 }],
];

describe('gram', () => {
  const gpu = useGpu();
  for (const [name, options] of IMPLEMENTATIONS) {
    // Channel counts below, at and above the 4×4 block, the 16-row subgroup block and the 8×8
    // workgroup; 1 pixel; batch 2; H·W a multiple of 4 (vec4 loads) and not.
    for (const shape of [
      [1, 3, 4, 5],
      [2, 5, 3, 3],
      [1, 1, 1, 1],
      [1, 37, 2, 3],
      [1, 6, 1, 1],
      [1, 4, 7, 9],
      [2, 20, 4, 6],
      [1, 33, 5, 7],
      // The gradient through Winograd's GEMM (subgroups; channels a multiple of 32, H·W of 4), batch 2.
      [2, 32, 4, 6],
      [1, 64, 3, 4],
    ]) {
      const s = shape4(shape);
      describeDifferentiable(gpu, {
        name: `gram (${name}) [${shape}]`,
        inputShape: shape,
        outputShape: [s[0], s[1], s[1]],
        input: randomArray(size(shape), 31 + s[1]),
        forward: (ctx, x) => gramForward(ctx, x, options),
        backward: (ctx, x, dg) => gramBackward(ctx, x, dg, options),
        oracle: (x) => oracle.gram(x, s),
        oracleBackward: (x, dg) => oracle.gramGrad(x, s, dg),
      });
    }
  }

  it('takes the gradient through the GEMM where channels are a multiple of 32 and H·W of 4, else gram_backward_subgroup', async () => {
    const ctx = gpu();
    const count = (kernel: string) => ctx.dispatchCounts.get(kernel) ?? 0;
    for (const [shape, gemm] of [
      [[1, 32, 4, 4], true],
      [[1, 32, 3, 3], false],
      [[1, 48, 4, 4], false],
    ] as const) {
      const x = ctx.upload([...shape], randomArray(size([...shape]), 5));
      const dg = ctx.upload([1, shape[1], shape[1]], randomArray(shape[1] ** 2, 6));
      const before = [count('conv3x3_winograd_gemm_subgroup'), count('gram_backward_subgroup')];
      const dx = gramBackward(ctx, x, dg);
      expect([count('conv3x3_winograd_gemm_subgroup') - before[0]!, count('gram_backward_subgroup') - before[1]!], `[${shape}]`).toEqual(
        gemm ? [1, 0] : [0, 1],
      );
      expectCloseTo(await dx.read(), oracle.gramGrad(await x.read(), shape4([...shape]), await dg.read()));
      for (const t of [x, dg, dx]) t.release();
    }
  });

  it('uses the subgroup kernels when the adapter has them, and frees the partial sums', async () => {
    const ctx = gpu();
    expect(ctx.subgroupsOf8).toBe(true); // lavapipe and SwiftShader: subgroups of 8 or more
    const x = ctx.upload([1, 8, 4, 4], randomArray(128, 3));
    const before = ctx.dispatchCounts.get('gram_forward_subgroup') ?? 0;
    const live = ctx.memory().liveBuffers;
    const g = gramForward(ctx, x, { chunk: 4 });
    expect(ctx.dispatchCounts.get('gram_forward_subgroup')).toBe(before + 1);
    expect(ctx.memory().liveBuffers).toBe(live + 1);
    expectCloseTo(await g.read(), oracle.gram(await x.read(), [1, 8, 4, 4]));
    x.release();
    g.release();
  });
});

function expectCloseTo(a: ArrayLike<number>, b: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 5);
}
