// RGB <-> YIQ of an image (shaders/color_yiq.wgsl; the matrices in shaders/lib/yiq.wgsl, shared
// with original_colors): per pixel; past one binding, on bands of rows of all three channels.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { fitsBinding, rowBanded } from './band.js';
import { dispatchElementwise, label } from './launch.js';

/** x [N, 3, H, W]: RGB -> YIQ, or with `toRgb` YIQ -> RGB clamped to 0..1. */
export function colorYiq(ctx: GpuContext, x: DeviceTensor, toRgb = false): DeviceTensor {
  if (x.shape.length !== 4 || x.shape[1] !== 3) throw new Error(`color_yiq: expects [N, 3, H, W], got [${x.shape.join(',')}]`);
  if (!fitsBinding(ctx, x)) {
    return rowBanded(ctx, {
      kernel: 'color_yiq',
      domainRows: x.shape[2]!,
      inputs: [{ t: x }],
      output: { t: x.shape },
      name: toRgb ? 'rgb' : 'yiq',
      run: ([xb]) => ({ y: colorYiq(ctx, xb!, toRgb), offset: 0 }),
    });
  }
  const plane = x.shape[2]! * x.shape[3]!;
  const pixels = x.size / 3;
  const out = ctx.empty(x.shape, toRgb ? 'rgb' : 'yiq');
  const params = { n: pixels, plane, to_rgb: toRgb ? 1 : 0 };
  dispatchElementwise(ctx, 'color_yiq', label('color_yiq', { x }), pixels, params, [x.buffer, out.buffer]);
  return out;
}
