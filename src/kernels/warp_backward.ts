// The gradient of warpForward (warp.ts) with respect to the image (shaders/warp_backward.wgsl): each
// output element scatters dOut times its four bilinear weights onto the source pixels it sampled.
// A gather would need, for every source pixel, the output pixels whose sample points fall near it,
// which no bound limits for an arbitrary flow (a whole region pointing outside the image collapses
// onto one border pixel), so the kernel scatters with atomic adds. WGSL has no float atomics: each
// add is a compare-exchange loop on the f32's bit pattern. It adds exact f32 values, in an order
// that may differ from run to run (the last bit may then differ); fixed point would be
// reproducible but would need a range chosen in advance, and loses the small gradients against
// the large ones. The video job warps only constants (the previous outputs), so nothing it
// optimises depends on this order.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { dispatchElementwise, label } from './launch.js';
import { requireFlowFor } from './warp.js';

/** d/d image of warpForward(image, flow), given dOut [N, C, H, W] (the image's shape). */
export function warpBackward(ctx: GpuContext, flow: DeviceTensor, dOut: DeviceTensor): DeviceTensor {
  requireFlowFor(ctx, 'warp_backward', dOut, flow, 'dOut');
  const [, , height, width] = dOut.shape as [number, number, number, number];
  const grad = ctx.zeros(dOut.shape, 'warp gradient');
  dispatchElementwise(ctx, 'warp_backward', label('warp_backward', { flow, dOut }), dOut.size, { n: dOut.size, height, width }, [
    flow.buffer,
    dOut.buffer,
    grad.buffer,
  ]);
  return grad;
}
