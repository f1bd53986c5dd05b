// Luminance-only transfer (shaders/original_colors.wgsl): the styled image's Y with the content's chroma.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { dispatchElementwise, label, requireSameShape } from './launch.js';

/** Both RGB 0..1 [N, 3, H, W]; returns RGB 0..1. */
export function originalColors(ctx: GpuContext, styled: DeviceTensor, content: DeviceTensor): DeviceTensor {
  requireSameShape('original_colors', ['styled', 'content'], styled, content);
  if (styled.shape.length !== 4 || styled.shape[1] !== 3)
    throw new Error(`original_colors: expects [N, 3, H, W], got [${styled.shape.join(',')}]`);
  const plane = styled.shape[2]! * styled.shape[3]!;
  const pixels = styled.size / 3;
  const out = ctx.empty(styled.shape, 'original colours');
  dispatchElementwise(ctx, 'original_colors', label('original_colors', { styled }), pixels, { n: pixels, plane }, [
    styled.buffer,
    content.buffer,
    out.buffer,
  ]);
  return out;
}
