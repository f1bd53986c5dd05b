// Dense optical flow on the device: pyramidal TV-L1 (Zach, Pock, Bischof 2007, as in Sánchez,
// Meinhardt-Llopis, Facciolo, IPOL 2013) with a Huber smoothness term (Werlberger et al. 2009), a
// bicubic linearisation and lightly pre-smoothed grey images; a fixed number of warps and
// iterations per level (no read-back). And Ruder et al. 2016's forward-backward consistency check.
// Why this method and these defaults: docs/flow.md. Conventions: a flow from A to B is w with
// A(x) ≈ B(x + w(x)), [1, 2, H, W] in pixels (u along x, v along y), as warpForward
// (src/kernels/warp.ts) and .flo files read it.

import { formatShape, type DeviceTensor, type GpuContext } from '../gpu/index.js';
import { resize } from '../kernels/index.js';
import {
  flowConsistencyKernel,
  flowGrey,
  flowSmooth,
  flowUpsample,
  flowWarpData,
  requireFlowFits,
  tvl1Iteration,
} from '../kernels/flow_tvl1.js';

export interface FlowOptions {
  /** Weight of the data term against the flow's total variation, for grey levels 0..255 (Sánchez's lambda). */
  lambda?: number;
  /** Coupling of the data and smoothness steps (Sánchez's theta). */
  theta?: number;
  /** Time step of the dual update, ≤ 0.25 for convergence (Sánchez's tau). */
  tau?: number;
  /** Times the second image is re-warped by the current flow at each level (Sánchez's warps). */
  warps?: number;
  /** Huber threshold on the flow's gradient (px per px): below it the smoothness term is quadratic, not total variation (Werlberger et al. 2009); 0 = pure TV. */
  huber?: number;
  /** Smooth the grey images with the 3×3 binomial filter this many times first (0: not at all). */
  smoothing?: number;
  /** Primal-dual iterations after each warp. */
  iterations?: number;
  /** The coarsest level's shorter side is at least this many pixels (levels halve the size). */
  coarsestSide?: number;
}

/** The defaults, chosen by the measurements in docs/flow.md (bench/flow_epe.ts). */
export const FLOW_DEFAULTS: Required<FlowOptions> = {
  lambda: 0.25,
  theta: 0.3,
  tau: 0.25,
  warps: 5,
  iterations: 30,
  huber: 0.15,
  smoothing: 1,
  coarsestSide: 16,
};

/** The sizes [height, width] of the pyramid, finest first: halved until the shorter side would drop below `coarsestSide`. */
export function pyramidSizes(height: number, width: number, coarsestSide: number): Array<[number, number]> {
  const sizes: Array<[number, number]> = [[height, width]];
  for (;;) {
    const [h, w] = sizes[sizes.length - 1]!;
    const next: [number, number] = [Math.ceil(h / 2), Math.ceil(w / 2)];
    if (Math.min(...next) < coarsestSide || (next[0] === h && next[1] === w)) return sizes;
    sizes.push(next);
  }
}

function checkOptions(o: Required<FlowOptions>): void {
  for (const key of ['lambda', 'theta', 'tau'] as const)
    if (!(o[key] > 0)) throw new Error(`opticalFlow: ${key} must be > 0, got ${o[key]}`);
  if (!(o.huber >= 0)) throw new Error(`opticalFlow: huber must be >= 0, got ${o.huber}`);
  for (const key of ['warps', 'iterations', 'coarsestSide', 'smoothing'] as const) {
    const least = key === 'smoothing' ? 0 : 1;
    if (!(Number.isInteger(o[key]) && o[key] >= least))
      throw new Error(`opticalFlow: ${key} must be a whole number >= ${least}, got ${o[key]}`);
  }
}

/** Refines `flow` at one level: `warps` times, linearise I1 around the flow and run the iterations. */
function refineLevel(ctx: GpuContext, i0: DeviceTensor, i1: DeviceTensor, flow: DeviceTensor, o: Required<FlowOptions>): void {
  const dual = ctx.zeros([1, 4, i0.shape[2]!, i0.shape[3]!], 'flow dual');
  const step = { lambdaTheta: o.lambda * o.theta, theta: o.theta, tauTheta: o.tau / o.theta, huber: o.huber };
  for (let warp = 0; warp < o.warps; warp++) {
    const data = flowWarpData(ctx, i0, i1, flow);
    for (let it = 0; it < o.iterations; it++) tvl1Iteration(ctx, data, flow, dual, step);
    data.release();
  }
  dual.release();
}

function smoothTimes(ctx: GpuContext, grey: DeviceTensor, times: number): DeviceTensor {
  for (let i = 0; i < times; i++) {
    const next = flowSmooth(ctx, grey);
    grey.release();
    grey = next;
  }
  return grey;
}

/**
 * The flow from `from` to `to` (both [1, 3, H, W] RGB 0..1 or [1, 1, H, W] grey 0..1, the same
 * size): w [1, 2, H, W] with from(x) ≈ to(x + w(x)), coarse to fine, subpixel.
 */
export function opticalFlow(ctx: GpuContext, from: DeviceTensor, to: DeviceTensor, options: FlowOptions = {}): DeviceTensor {
  const o = { ...FLOW_DEFAULTS, ...options };
  checkOptions(o);
  if (from.shape.length !== 4 || from.shape.some((d, i) => d !== to.shape[i])) {
    throw new Error(`opticalFlow: the two images must have the same shape, got ${formatShape(from.shape)} and ${formatShape(to.shape)}`);
  }
  const [height, width] = [from.shape[2]!, from.shape[3]!];
  requireFlowFits(ctx, height, width);
  const sizes = pyramidSizes(height, width, Math.min(o.coarsestSide, height, width));
  const fine = [flowGrey(ctx, from), flowGrey(ctx, to)].map((g) => smoothTimes(ctx, g, o.smoothing));
  let flow: DeviceTensor | null = null;
  for (let level = sizes.length - 1; level >= 0; level--) {
    const [h, w] = sizes[level]!;
    const [i0, i1] = level === 0 ? fine : fine.map((g) => resize(ctx, g, h, w));
    const next: DeviceTensor = flow ? flowUpsample(ctx, flow, h, w) : ctx.zeros([1, 2, h, w], 'flow');
    flow?.release();
    flow = next;
    refineLevel(ctx, i0!, i1!, flow, o);
    if (level > 0) [i0, i1].forEach((g) => g!.release());
  }
  fine.forEach((g) => g.release());
  return flow!;
}

/**
 * Ruder et al. 2016's check for the pixels `backward` starts from (frame t): 1 where the flow is
 * reliable, 0 where `backward` and `forward` (the reverse flow) disagree, where the flow leaves
 * the image, on a motion boundary, or where a vector is not finite. [1, 1, H, W].
 */
export function flowConsistency(ctx: GpuContext, backward: DeviceTensor, forward: DeviceTensor): DeviceTensor {
  return flowConsistencyKernel(ctx, backward, forward);
}
