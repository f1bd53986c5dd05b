// Certainties of a video frame's temporal terms: the long-term combination over several earlier
// frames (shaders/certainty_long_term.wgsl) and the frame's starting image mixed from the warped
// previous output and the content by the certainty (shaders/certainty_mix.wgsl).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { dispatchElementwiseChunks, gridFor, label, requireSameShape } from './launch.js';
import { broadcastChunks, requireCertaintyFor } from './temporal_loss.js';

/**
 * Ruder et al.'s long-term certainties: for the earlier frames j (nearest first, as
 * -flow_relative_indices), c_long_j = max(c_j − Σ_{k<j} c_k, 0), so that a pixel seen reliably in a
 * nearer frame takes no weight from farther ones. Each certainty is [1, 1, H, W]; returns fresh tensors.
 */
export function longTermCertainty(ctx: GpuContext, certainties: readonly DeviceTensor[]): DeviceTensor[] {
  if (certainties.length === 0) return [];
  const first = certainties[0]!;
  const sum = ctx.zeros(first.shape, 'certainty sum');
  const result = certainties.map((c, j) => {
    requireSameShape('certainty_long_term', ['certainties[0]', `certainties[${j}]`], first, c);
    const out = ctx.empty(c.shape, `long-term certainty ${j}`);
    const text = label('certainty_long_term', { c });
    dispatchElementwiseChunks(ctx, 'certainty_long_term', text, c.size, (n) => ({ n }), [c, sum, out]);
    return out;
  });
  sum.release();
  return result;
}

/**
 * c·warped + (1 − c)·content: the next frame's starting image, disoccluded pixels (c = 0) from the
 * content. warped and content [N, C, H, W], certainty [1, 1, H, W] broadcast over batch and channels.
 */
export function certaintyMix(ctx: GpuContext, warped: DeviceTensor, content: DeviceTensor, certainty: DeviceTensor): DeviceTensor {
  requireSameShape('certainty_mix', ['warped', 'content'], warped, content);
  const plane = requireCertaintyFor('certainty_mix', warped, certainty);
  const out = ctx.empty(warped.shape, 'certainty mix');
  const text = label('certainty_mix', { warped, content, certainty });
  for (const { offset, count, buffers } of broadcastChunks(ctx, [warped, content, out], certainty)) {
    const [wb, cb, ob, certaintyBinding] = buffers;
    ctx.dispatch({
      kernel: 'certainty_mix',
      label: `${text} [${offset}, +${count})`,
      params: { n: count, plane, offset },
      buffers: [wb!, cb!, certaintyBinding!, ob!],
      workgroups: gridFor(ctx, count, 'certainty_mix'),
    });
  }
  return out;
}
