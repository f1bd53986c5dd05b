// Luminance-only transfer (shaders/original_colors.wgsl): the styled image's Y with the content's chroma.
// Per pixel: past one binding, on bands of rows of both images (band.ts rowBanded).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { fitsBinding, rowBanded } from './band.js';
import { dispatchElementwise, label, requireSameShape } from './launch.js';

/** Both RGB 0..1 [N, 3, H, W]; returns RGB 0..1. */
export function originalColors(ctx: GpuContext, styled: DeviceTensor, content: DeviceTensor): DeviceTensor {
  requireSameShape('original_colors', ['styled', 'content'], styled, content);
  if (styled.shape.length !== 4 || styled.shape[1] !== 3)
    throw new Error(`original_colors: expects [N, 3, H, W], got [${styled.shape.join(',')}]`);
  if (!fitsBinding(ctx, styled)) {
    return rowBanded(ctx, {
      kernel: 'original_colors',
      domainRows: styled.shape[2]!,
      inputs: [{ t: styled }, { t: content }],
      output: { t: styled.shape },
      name: 'original colours',
      run: ([s, c]) => ({ y: originalColors(ctx, s!, c!), offset: 0 }),
    });
  }
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
