// The temporal loss of a video frame (Ruder et al. 2016): Σ c·(x − target)² / x.size, with target
// the previous output warped into this frame and c [1, 1, H, W] its per-pixel certainty broadcast
// over batch and channels (shaders/temporal_loss_forward.wgsl + reduce_sum), and its gradient with
// respect to x (shaders/temporal_loss_backward.wgsl). Past one binding, both run on flat chunks of
// the images, each told the flat offset it starts at so that it reads the right certainty.

import { formatShape, type DeviceTensor, type GpuContext } from '../gpu/index.js';
import { accumulate } from './axpby.js';
import { fitsBinding, flatChunks } from './band.js';
import { gridFor, label, requireRank, requireSameShape, requireScalar } from './launch.js';
import { reduceToScalar } from './reduce_sum.js';

/** Checks a certainty [1, 1, H, W] for an image x [N, C, H, W]; returns the plane size H·W. */
export function requireCertaintyFor(kernel: string, x: DeviceTensor, certainty: DeviceTensor): number {
  requireRank(kernel, 'x', x, 4);
  const [, , h, w] = x.shape as [number, number, number, number];
  const c = certainty.shape;
  if (c.length !== 4 || c[0] !== 1 || c[1] !== 1 || c[2] !== h || c[3] !== w) {
    throw new Error(`${kernel}: certainty must have shape [1,1,${h},${w}] for x ${formatShape(x.shape)}, got ${formatShape(c)}`);
  }
  return h * w;
}

/** One chunk of a broadcast kernel: its `offset` parameter, element count and bindings. */
export interface BroadcastChunk {
  offset: number;
  count: number;
  buffers: Array<GPUBuffer | GPUBufferBinding>;
}

/**
 * Flat chunks of the images (tensors of x.size elements) that fit one binding each, one chunk when
 * everything fits. The certainty is bound whole, its reads offset by the chunk's start; where it is
 * as large as the images (N·C = 1) it is chunked with them instead (offset 0: each chunk reads its own).
 */
export function broadcastChunks(ctx: GpuContext, images: readonly DeviceTensor[], certainty: DeviceTensor): BroadcastChunk[] {
  const n = images[0]!.size;
  if (fitsBinding(ctx, ...images, certainty)) return [{ offset: 0, count: n, buffers: [...images, certainty].map((t) => t.buffer) }];
  const chunked = certainty.size === n;
  return flatChunks(ctx, n).map(({ offset, count }) => ({
    offset: chunked ? 0 : offset,
    count,
    buffers: [...images.map((t) => ctx.range(t, offset, count)), chunked ? ctx.range(certainty, offset, count) : certainty.buffer],
  }));
}

/** Σ c·(x − target)² / x.size as a one-value tensor; x and target [N, C, H, W], certainty [1, 1, H, W]. */
export function temporalLossForward(ctx: GpuContext, x: DeviceTensor, target: DeviceTensor, certainty: DeviceTensor): DeviceTensor {
  requireSameShape('temporal_loss_forward', ['x', 'target'], x, target);
  const plane = requireCertaintyFor('temporal_loss_forward', x, certainty);
  const text = label('temporal_loss_forward', { x, target, certainty });
  let total: DeviceTensor | null = null;
  for (const { offset, count, buffers } of broadcastChunks(ctx, [x, target], certainty)) {
    const params = { n: count, scale: 1 / x.size, plane, offset };
    const part = reduceToScalar(ctx, 'temporal_loss_forward', `${text} [${offset}, +${count})`, params, buffers);
    if (!total) total = part;
    else {
      accumulate(ctx, total, part);
      part.release();
    }
  }
  return total!;
}

/** d/dx of temporalLossForward times the upstream gradient dLoss (one value): 2·c·(x − target)/x.size·dLoss. */
export function temporalLossBackward(
  ctx: GpuContext,
  x: DeviceTensor,
  target: DeviceTensor,
  certainty: DeviceTensor,
  dLoss: DeviceTensor,
): DeviceTensor {
  requireSameShape('temporal_loss_backward', ['x', 'target'], x, target);
  const plane = requireCertaintyFor('temporal_loss_backward', x, certainty);
  requireScalar('temporal_loss_backward', 'dLoss', dLoss);
  const grad = ctx.empty(x.shape, 'temporal loss gradient');
  const text = label('temporal_loss_backward', { x, target, certainty });
  for (const { offset, count, buffers } of broadcastChunks(ctx, [x, target, grad], certainty)) {
    const [xb, tb, gb, cb] = buffers;
    ctx.dispatch({
      kernel: 'temporal_loss_backward',
      label: `${text} [${offset}, +${count})`,
      params: { n: count, plane, offset, coefficient: 2 / x.size },
      buffers: [xb!, tb!, cb!, dLoss.buffer, gb!],
      workgroups: gridFor(ctx, count, 'temporal_loss_backward'),
    });
  }
  return grad;
}
