// A mask image's weights on the device (shaders/mask_luma.wgsl): 8-bit RGBA -> [1, 1, H, W] f32,
// luma times alpha. The packed pixels go up in flat chunks that fit one binding each (a caller
// shrinks the result to each working size with `resize`).

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { flatChunks } from './band.js';
import { gridFor, label } from './launch.js';

/** `data` holds width×height RGBA pixels; returns their weights [1, 1, height, width] in [0, 1]. */
export function maskLuma(ctx: GpuContext, data: Uint8Array, width: number, height: number, name = 'mask'): DeviceTensor {
  const n = width * height;
  if (data.length !== n * 4) throw new Error(`mask_luma: ${name} is ${width}×${height} but holds ${data.length} bytes, not ${n * 4}`);
  const y = ctx.empty([1, 1, height, width], name);
  const chunks = flatChunks(ctx, n);
  const packed = ctx.empty([chunks[0]!.count], `${name} pixels`);
  for (const { offset, count } of chunks) {
    ctx.submit(); // the chunk before reads `packed`: it runs before this write lands (queue order)
    ctx.device.queue.writeBuffer(packed.buffer, 0, data as Uint8Array<ArrayBuffer>, offset * 4, count * 4);
    ctx.dispatch({
      kernel: 'mask_luma',
      label: `${label('mask_luma', { y })} [${offset}, +${count})`,
      params: { n: count },
      buffers: [ctx.range(packed, 0, count), ctx.range(y, offset, count)],
      workgroups: gridFor(ctx, count, 'mask_luma'),
    });
  }
  packed.release();
  return y;
}
