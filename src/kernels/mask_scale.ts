// A region's per-pixel weights applied to features (shaders/mask_scale.wgsl): y = x · w or x · √w,
// with w [1, 1, H, W] broadcast over batch and channels (--style-mask: the masked Gram weighs each
// pixel's features by √w so that Gram(F ⊙ √w) = Σ_p w_p f_p f_pᵀ). Linear in x with w a constant:
// the backward is the same kernel on the upstream gradient. Past one binding, flat chunks, each
// told where it starts so it reads the right weight (temporal_loss.ts broadcastChunks).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { gridFor, label } from './launch.js';
import { broadcastChunks, requireCertaintyFor } from './temporal_loss.js';

export interface MaskScaleOptions {
  /** Multiply by √w instead of w. */
  root?: boolean;
}

/** x [N, C, H, W] times w [1, 1, H, W] (or its square root), per pixel, as a new tensor. */
export function maskScale(ctx: GpuContext, x: DeviceTensor, weights: DeviceTensor, options: MaskScaleOptions = {}): DeviceTensor {
  const plane = requireCertaintyFor('mask_scale', x, weights);
  const y = ctx.empty(x.shape, 'masked features');
  const text = label('mask_scale', { x, weights });
  for (const { offset, count, buffers } of broadcastChunks(ctx, [x, y], weights)) {
    const [xb, yb, wb] = buffers;
    ctx.dispatch({
      kernel: 'mask_scale',
      label: `${text} [${offset}, +${count})`,
      params: { n: count, plane, offset, root: options.root ? 1 : 0 },
      buffers: [xb!, wb!, yb!],
      workgroups: gridFor(ctx, count, 'mask_scale'),
    });
  }
  return y;
}
