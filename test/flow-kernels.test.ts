// The optical flow's kernels (src/kernels/flow_tvl1.ts) against float64 references
// (test/helpers/oracle-flow.ts), and a deliberately broken copy of each shader that must fail.
// None of them has a gradient (the flow is a constant to the style loss), so no finite differences.

import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/gpu/index.js';
import { flowConsistencyKernel, flowGrey, flowSmooth, flowUpsample, flowWarpData, tvl1Iteration } from '../src/kernels/flow_tvl1.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import * as oracle from './helpers/oracle-flow.js';
import { randomArray } from './helpers/random.js';

const STEP = { lambdaTheta: 0.045, theta: 0.3, tauTheta: 0.25 / 0.3, huber: 0.1 };

/** Each kernel: run it on `ctx` for a plane, and its float64 reference. */
const CASES: Record<string, (ctx: GpuContext, h: number, w: number) => Promise<{ got: Float32Array; want: Float64Array }>> = {
  flow_grey: async (ctx, h, w) => {
    const image = randomArray(3 * h * w, 1).map((v) => (v + 1) / 2);
    return { got: await flowGrey(ctx, ctx.upload([1, 3, h, w], image)).read(), want: oracle.grey(image, 3, { height: h, width: w }) };
  },
  flow_smooth: async (ctx, h, w) => {
    const grey = randomArray(h * w, 10, 100);
    return { got: await flowSmooth(ctx, ctx.upload([1, 1, h, w], grey)).read(), want: oracle.smooth(grey, { height: h, width: w }) };
  },
  flow_warp_data: async (ctx, h, w) => {
    const [i0, i1] = [randomArray(h * w, 2, 100), randomArray(h * w, 3, 100)];
    const flow = randomArray(2 * h * w, 4, 3);
    const got = await flowWarpData(ctx, ctx.upload([1, 1, h, w], i0), ctx.upload([1, 1, h, w], i1), ctx.upload([1, 2, h, w], flow)).read();
    return { got, want: oracle.warpData(i0, i1, flow, { height: h, width: w }) };
  },
  flow_tvl1_primal: async (ctx, h, w) => tvl1(ctx, h, w, 'flow'),
  flow_tvl1_dual: async (ctx, h, w) => tvl1(ctx, h, w, 'dual'),
  flow_upsample: async (ctx, h, w) => {
    const [ch, cw] = [Math.ceil(h / 2), Math.ceil(w / 2)];
    const coarse = randomArray(2 * ch * cw, 5, 2);
    const got = await flowUpsample(ctx, ctx.upload([1, 2, ch, cw], coarse), h, w).read();
    return { got, want: oracle.upsample(coarse, { height: ch, width: cw }, { height: h, width: w }) };
  },
  flow_consistency: async (ctx, h, w) => {
    // A flow whose u curves leftwards (∂u/∂x = -0.04x: motion-boundary measures from 0 to past
    // both thresholds below) and a reverse flow 1.6 times as long that disagrees by 0, 0.3, 0.6 or
    // 0.9 px more in turn. On 5×7: footprint-out, disagreeing, boundary and reliable pixels all
    // occur, and 3 pixels lie between 0.01|w|² + 0.002 and 0.01|ŵ|² + 0.002, so a boundary test
    // on the wrong flow's length, or on its gradient, fails (margins ≥ 2 %, far above f32's).
    const n = h * w;
    const flow = Float64Array.from({ length: 2 * n }, (_, i) => {
      const [x, y] = [(i % n) % w, Math.floor((i % n) / w)];
      return Math.fround(i < n ? -0.6 - 0.02 * x * x : 0.3 - 0.02 * y);
    });
    const reverse = flow.map((v, i) => Math.fround(-1.6 * v + (i < n ? 0.3 * (i % 4) : 0)));
    const got = await flowConsistencyKernel(ctx, ctx.upload([1, 2, h, w], flow), ctx.upload([1, 2, h, w], reverse)).read();
    return { got, want: oracle.consistency(flow, reverse, { height: h, width: w }) };
  },
};

async function tvl1(ctx: GpuContext, h: number, w: number, which: 'flow' | 'dual') {
  const data = randomArray(3 * h * w, 7, 20).map((v, i) => (i < 2 * h * w ? v : v * 5));
  const flow = randomArray(2 * h * w, 8, 2);
  const dual = randomArray(4 * h * w, 9, 0.8);
  const [f, d] = [ctx.upload([1, 2, h, w], flow), ctx.upload([1, 4, h, w], dual)];
  tvl1Iteration(ctx, ctx.upload([1, 3, h, w], data), f, d, STEP);
  const want = oracle.tvl1Iteration(data, flow, dual, { height: h, width: w }, STEP);
  return { got: await (which === 'flow' ? f : d).read(), want: want[which] };
}

/** A wrong line in each shader that its reference check must catch. */
const BROKEN: Record<string, [string, string]> = {
  flow_grey: ['0.587 * image[p.n + i]', '0.587 * image[i]'],
  flow_smooth: ['let x = u32(clamp(col + k - 1,', 'let x = u32(clamp(col + k,'],
  flow_warp_data: ['at(x + 1, y) - at(x - 1, y)', 'at(x + 1, y) - at(x, y)'],
  flow_tvl1_primal: ['if (col > 0u) { d -= dual[a * p.n + i - 1u]; }', ''],
  flow_tvl1_dual: ['(1.0 + p.tau_theta * p.huber)', '(1.0 + p.huber)'],
  flow_upsample: ['select(ratio.y, ratio.x, k == 0u)', 'select(ratio.x, ratio.y, k == 0u)'],
  flow_consistency: ['+ 0.5)', '+ 0.05)'],
};

describe('optical flow kernels', () => {
  const gpu = useGpu();
  for (const [kernel, run] of Object.entries(CASES)) {
    for (const [h, w] of [
      [5, 7],
      [4, 1],
    ] as const) {
      it(`${kernel} matches its float64 reference on ${h}×${w}`, async () => {
        const { got, want } = await run(gpu(), h, w);
        expectClose(got, want, 1e-5, kernel);
      });
    }
    it(`${kernel}: a broken copy fails the reference`, async () => {
      const [correct, wrong] = BROKEN[kernel]!;
      const { got, want } = await run(withBrokenShader(gpu(), kernel, correct, wrong), 5, 7);
      expect(relativeError(got, want)).toBeGreaterThan(1e-3);
    });
  }
});
