// Bilinear backward warp of an image by a flow (shaders/warp_forward.wgsl): out(x) = image(x + flow(x)),
// the sample point clamped to the image (a point outside reads the nearest border pixel). The flow is
// [1, 2, H, W] in pixels (channel 0 = u along x, 1 = v along y); every image of the batch and every
// channel is moved by the same flow; a flow component that is not finite counts as no motion, so
// a finite image never warps to NaN (the taps: shaders/lib/warp_taps.wgsl, shared with the
// gradient). Its gradient wrt the image is warpBackward (warp_backward.ts).

import { formatShape, type DeviceTensor, type GpuContext } from '../gpu/index.js';
import { fitsBinding } from './band.js';
import { dispatchElementwise, label, requireRank } from './launch.js';

/** Checks that `flow` is [1, 2, H, W] for an image [N, C, H, W] and that both fit one binding; `kernel` (and the image's `name`) in the error. */
export function requireFlowFor(ctx: GpuContext, kernel: string, image: DeviceTensor, flow: DeviceTensor, name = 'image'): void {
  requireRank(kernel, 'image', image, 4);
  const [, , h, w] = image.shape as [number, number, number, number];
  const f = flow.shape;
  if (f.length !== 4 || f[0] !== 1 || f[1] !== 2 || f[2] !== h || f[3] !== w) {
    throw new Error(`${kernel}: flow must have shape [1,2,${h},${w}] for image ${formatShape(image.shape)}, got ${formatShape(f)}`);
  }
  // Sample points go anywhere in the image: no banding of rows applies.
  if (!fitsBinding(ctx, image, flow))
    throw new Error(`${kernel}: ${name} ${image.bytes} bytes is over the ${ctx.bindingBytes}-byte binding limit; warp a smaller image`);
}

/** image [N, C, H, W] sampled at x + flow(x): [N, C, H, W]. */
export function warpForward(ctx: GpuContext, image: DeviceTensor, flow: DeviceTensor): DeviceTensor {
  requireFlowFor(ctx, 'warp_forward', image, flow);
  const [, , height, width] = image.shape as [number, number, number, number];
  const out = ctx.empty(image.shape, 'warped image');
  const params = { n: out.size, height, width };
  dispatchElementwise(ctx, 'warp_forward', label('warp_forward', { image, flow }), out.size, params, [
    image.buffer,
    flow.buffer,
    out.buffer,
  ]);
  return out;
}
