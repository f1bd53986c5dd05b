import { afterAll, describe, expect, it } from 'vitest';
import { GpuContext } from '../src/gpu/index.js';
import { gramBackward, gramForward, type GramOptions } from '../src/kernels/index.js';
import { createNodeContext } from '../src/node/gpu.js';
import { loadShaders } from '../src/node/shaders.js';
import { describeDifferentiable, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { randomArray, size } from './helpers/random.js';

// The context is made while the tests are collected, so which kernels this adapter runs (its
// subgroup size) decides which tests there are; destroyed after them.
const context = await createNodeContext();
const gpu = () => context;
afterAll(() => context.destroy());
/** Subgroups of at least 8 invocations: what gram.ts needs for its subgroup kernels. */
const SUBGROUPS = context.subgroupsOf8;
const NO_SUBGROUPS = `skipped: ${context.device.features.has('subgroups') ? `this adapter's subgroups may be ${context.adapter.subgroupMinSize} wide` : 'this adapter has no subgroups'}, and gram.ts needs 8 or more for them; it runs the 4×4-block kernels, which the 'blocks' cases test`;

// Both implementations: one invocation per 4×4 block, and the subgroup kernels where the adapter
// has them, whose forward pass also runs over ranges of k (chunk 8: several splits, reduced by
// gram_reduce; 4096: one).
const IMPLEMENTATIONS: Array<[string, GramOptions]> = [
  ['blocks', { subgroups: false }],
  ...(SUBGROUPS
    ? ([
        ['subgroups', { subgroups: true }],
        ['subgroups, k in chunks of 8', { subgroups: true, chunk: 8 }],
      ] as Array<[string, GramOptions]>)
    : []),
];

describe('gram', () => {
  if (!SUBGROUPS) it.skip(`the subgroup kernels' forward and backward (${NO_SUBGROUPS})`, () => {});
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

  it.skipIf(!SUBGROUPS)(
    `takes the gradient through the GEMM where channels are a multiple of 32 and H·W of 4, else gram_backward_subgroup${SUBGROUPS ? '' : ` (${NO_SUBGROUPS})`}`,
    async () => {
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
    },
  );

  it("runs the subgroup kernels by default exactly where the adapter's subgroups are 8 wide or more, and frees the partial sums", async () => {
    await expectKernelsFor(gpu(), SUBGROUPS);
  });

  it('an adapter whose subgroups may be 4 wide runs the 4×4-block kernels, and refuses a request for the subgroup ones', async () => {
    // This device, described as an adapter with 4-wide subgroups (Intel's and some mobile GPUs' smallest).
    const ctx = gpu();
    const narrow = new GpuContext(ctx.device, { ...ctx.adapter, subgroupMinSize: 4 }, loadShaders());
    expect(narrow.subgroupsOf8).toBe(false);
    await expectKernelsFor(narrow, false);
    const x = narrow.upload([1, 8, 4, 4], randomArray(128, 3));
    const dg = narrow.upload([1, 8, 8], randomArray(64, 4));
    for (const run of [() => gramForward(narrow, x, { subgroups: true }), () => gramBackward(narrow, x, dg, { subgroups: true })])
      expect(run).toThrow('gram: the subgroup kernels need subgroups of at least 8 invocations, which this adapter lacks');
    for (const t of [x, dg]) t.release();
    await narrow.checkErrors();
  });
});

/**
 * gramForward and gramBackward with default options on `ctx`: the subgroup kernels (the forward
 * over chunks of k, whose partial sums are freed) or the 4×4-block ones, and the oracle's result.
 */
async function expectKernelsFor(ctx: GpuContext, subgroups: boolean): Promise<void> {
  const count = (kernel: string) => ctx.dispatchCounts.get(kernel) ?? 0;
  const kernels = ['gram_forward_subgroup', 'gram_reduce', 'gram_symmetrize', 'gram_backward_subgroup', 'gram_forward', 'gram_backward'];
  const before = kernels.map(count);
  const shape = [1, 8, 4, 4] as const;
  const x = ctx.upload(shape, randomArray(128, 3));
  const dg = ctx.upload([1, 8, 8], randomArray(64, 4));
  const live = ctx.memory().liveBuffers;
  const g = gramForward(ctx, x, { chunk: 4 });
  expect(ctx.memory().liveBuffers).toBe(live + 1);
  const dx = gramBackward(ctx, x, dg);
  expect(kernels.map((k, i) => count(k) - before[i]!)).toEqual(subgroups ? [1, 1, 1, 1, 0, 0] : [0, 0, 0, 0, 1, 1]);
  expectCloseTo(await g.read(), oracle.gram(await x.read(), shape4([...shape])));
  expectCloseTo(await dx.read(), oracle.gramGrad(await x.read(), shape4([...shape]), await dg.read()));
  for (const t of [x, dg, g, dx]) t.release();
}

function expectCloseTo(a: ArrayLike<number>, b: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i]!, 5);
}
