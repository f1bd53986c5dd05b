// The kernels of the TV-L1 optical flow (src/flow drives them): grey levels, the per-warp
// linearisation, the primal and dual steps of one iteration, and the flow's move to a finer level.
// Shapes: images [1, 1, H, W] grey 0..255, flows [1, 2, H, W] in pixels, duals [1, 4, H, W].

import { formatShape, type DeviceTensor, type GpuContext } from '../gpu/index.js';
import { UserError } from '../util/errors.js';
import { fitsBinding } from './band.js';
import { dispatchElementwise, label, requireRank } from './launch.js';

/**
 * Refuses frames whose flow does not fit: the flow kernels bind each tensor whole (no banding), the
 * largest being the dual variables [1, 4, H, W] (16 bytes a pixel), so the device's binding limit
 * caps the frame size (3840×2160 needs 133 MB, over the 128 MiB of lavapipe and browsers).
 */
export function requireFlowFits(ctx: GpuContext, height: number, width: number): void {
  if (fitsBinding(ctx, [1, 4, height, width])) return;
  throw new UserError(
    `optical flow: ${width}×${height} frames need ${16 * height * width} bytes in one binding, over this device's ${ctx.bindingBytes}; use smaller frames (a smaller size)`,
  );
}

function planeOf(kernel: string, name: string, t: DeviceTensor, channels: number, h?: number, w?: number): [number, number] {
  requireRank(kernel, name, t, 4);
  const [n, c, th, tw] = t.shape as [number, number, number, number];
  if (n !== 1 || c !== channels || (h !== undefined && th !== h) || (w !== undefined && tw !== w)) {
    const size = h === undefined ? 'H,W' : `${h},${w}`;
    throw new Error(`${kernel}: ${name} must have shape [1,${channels},${size}], got ${formatShape(t.shape)}`);
  }
  return [th, tw];
}

/** image [1, 3, H, W] RGB 0..1 or [1, 1, H, W] grey 0..1 -> [1, 1, H, W] grey levels 0..255. */
export function flowGrey(ctx: GpuContext, image: DeviceTensor): DeviceTensor {
  requireRank('flow_grey', 'image', image, 4);
  const [n, channels, h, w] = image.shape as [number, number, number, number];
  if (n !== 1 || (channels !== 1 && channels !== 3)) {
    throw new Error(`flow_grey: image must have shape [1,3,H,W] (RGB) or [1,1,H,W] (grey), got ${formatShape(image.shape)}`);
  }
  const grey = ctx.empty([1, 1, h, w], 'flow grey');
  dispatchElementwise(ctx, 'flow_grey', label('flow_grey', { image }), h * w, { n: h * w, channels }, [image.buffer, grey.buffer]);
  return grey;
}

/** A grey image [1, 1, H, W] smoothed by the 3×3 binomial filter. */
export function flowSmooth(ctx: GpuContext, grey: DeviceTensor): DeviceTensor {
  const [height, width] = planeOf('flow_smooth', 'grey', grey, 1);
  const out = ctx.empty(grey.shape, 'flow grey smoothed');
  const n = height * width;
  dispatchElementwise(ctx, 'flow_smooth', label('flow_smooth', { grey }), n, { n, height, width }, [grey.buffer, out.buffer]);
  return out;
}

/** (∇I1, rho_c) of I1 sampled at x + flow(x): [1, 3, H, W] (see shaders/flow_warp_data.wgsl). */
export function flowWarpData(ctx: GpuContext, i0: DeviceTensor, i1: DeviceTensor, flow: DeviceTensor): DeviceTensor {
  const [height, width] = planeOf('flow_warp_data', 'i0', i0, 1);
  planeOf('flow_warp_data', 'i1', i1, 1, height, width);
  planeOf('flow_warp_data', 'flow', flow, 2, height, width);
  const data = ctx.empty([1, 3, height, width], 'flow warp data');
  const n = height * width;
  const buffers = [i0.buffer, i1.buffer, flow.buffer, data.buffer];
  dispatchElementwise(ctx, 'flow_warp_data', label('flow_warp_data', { i1, flow }), n, { n, height, width }, buffers);
  return data;
}

export interface Tvl1Step {
  /** lambda·theta: the data term's threshold. */
  lambdaTheta: number;
  theta: number;
  /** tau / theta: the dual step. */
  tauTheta: number;
  /** Huber threshold of the flow's gradient (0: total variation). */
  huber: number;
}

/** One TV-L1 iteration, in place on `flow` [1, 2, H, W] and `dual` [1, 4, H, W]: primal, then dual. */
export function tvl1Iteration(ctx: GpuContext, data: DeviceTensor, flow: DeviceTensor, dual: DeviceTensor, step: Tvl1Step): void {
  const [height, width] = planeOf('flow_tvl1_primal', 'flow', flow, 2);
  planeOf('flow_tvl1_primal', 'data', data, 3, height, width);
  planeOf('flow_tvl1_primal', 'dual', dual, 4, height, width);
  const n = height * width;
  const primal = { n, height, width, lambda_theta: step.lambdaTheta, theta: step.theta };
  dispatchElementwise(ctx, 'flow_tvl1_primal', label('flow_tvl1_primal', { flow }), n, primal, [data.buffer, dual.buffer, flow.buffer]);
  const dualParams = { n, height, width, tau_theta: step.tauTheta, huber: step.huber };
  dispatchElementwise(ctx, 'flow_tvl1_dual', label('flow_tvl1_dual', { flow }), n, dualParams, [flow.buffer, dual.buffer]);
}

/** A flow [1, 2, h, w] at a finer level [1, 2, height, width], its vectors scaled to the new size. */
export function flowUpsample(ctx: GpuContext, coarse: DeviceTensor, height: number, width: number): DeviceTensor {
  const [coarseH, coarseW] = planeOf('flow_upsample', 'coarse', coarse, 2);
  const fine = ctx.empty([1, 2, height, width], 'flow');
  const params = { n: fine.size, height, width, coarse_h: coarseH, coarse_w: coarseW };
  dispatchElementwise(ctx, 'flow_upsample', label('flow_upsample', { coarse }), fine.size, params, [coarse.buffer, fine.buffer]);
  return fine;
}

/** Ruder et al.'s reliability of `flow` [1, 2, H, W] checked against the reverse flow: [1, 1, H, W] in {0, 1}. */
export function flowConsistencyKernel(ctx: GpuContext, flow: DeviceTensor, reverse: DeviceTensor): DeviceTensor {
  const [height, width] = planeOf('flow_consistency', 'flow', flow, 2);
  planeOf('flow_consistency', 'reverse flow', reverse, 2, height, width);
  const certainty = ctx.empty([1, 1, height, width], 'flow certainty');
  const n = height * width;
  const buffers = [flow.buffer, reverse.buffer, certainty.buffer];
  dispatchElementwise(ctx, 'flow_consistency', label('flow_consistency', { flow, reverse }), n, { n, height, width }, buffers);
  return certainty;
}
