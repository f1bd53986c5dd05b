// Per-channel histogram matching (Risser et al. 2017; Gatys et al. 2017 §5 for colours):
// histogramCdf (shaders/histogram_cdf.wgsl) takes each channel's range and cumulative histogram,
// histogramQuantiles (histogram_quantiles.wgsl) turns them into the channel's quantile function
// sampled at HISTOGRAM_QUANTILES points, histogramRemap (histogram_remap.wgsl) sends each value
// through its own channel's CDF and a target's quantile function. The bins are the CDF kernel's
// workgroup size (one invocation per bin in its scan). Past one binding: the CDF runs on groups of
// whole channels copied out (copies have no binding limit), the remap on aligned flat chunks.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { flatChunks, fitsBinding } from './band.js';
import { dispatchElementwise, gridFor, label } from './launch.js';

/** Points of a channel's quantile function a target keeps (u = q / (Q − 1), q = 0..Q−1). */
export const HISTOGRAM_QUANTILES = 256;

/** A tensor's channels' distributions: range [C, 2] (min, max) and cdf [C, bins + 1]. */
export interface ChannelCdf {
  range: DeviceTensor;
  cdf: DeviceTensor;
}

/** The number of histogram bins (the CDF kernel's workgroup size). */
export const histogramBins = (ctx: GpuContext): number => ctx.workgroupSize('histogram_cdf')[0];

/** x [1, C, H, W]: its channel count and plane size. */
function channelsOf(kernel: string, x: DeviceTensor): { channels: number; plane: number } {
  if (x.shape.length !== 4 || x.shape[0] !== 1) throw new Error(`${kernel}: expects one image [1, C, H, W], got [${x.shape.join(',')}]`);
  return { channels: x.shape[1]!, plane: x.shape[2]! * x.shape[3]! };
}

export function histogramCdf(ctx: GpuContext, x: DeviceTensor): ChannelCdf {
  const { channels, plane } = channelsOf('histogram_cdf', x);
  if (plane === 0) throw new Error(`histogram_cdf: x [${x.shape.join(',')}] has no values`);
  const bins = histogramBins(ctx);
  const range = ctx.empty([channels, 2], 'histogram range');
  const cdf = ctx.empty([channels, bins + 1], 'histogram cdf');
  const run = (source: DeviceTensor, channel0: number, count: number) =>
    ctx.dispatch({
      kernel: 'histogram_cdf',
      label: `${label('histogram_cdf', { x })} channels ${channel0}+${count}`,
      params: { plane, channel0 },
      buffers: [source.buffer, range.buffer, cdf.buffer],
      workgroups: [count],
    });
  if (fitsBinding(ctx, x)) {
    run(x, 0, channels);
    return { range, cdf };
  }
  // Groups of whole channels that fit one binding, each copied into a tensor of its own.
  const perGroup = Math.floor(ctx.bindingBytes / 4 / plane);
  if (perGroup < 1) throw new Error(`histogram_cdf: one channel of x [${x.shape.join(',')}] is larger than one binding`);
  for (let c0 = 0; c0 < channels; c0 += perGroup) {
    const count = Math.min(perGroup, channels - c0);
    const group = ctx.empty([1, count, x.shape[2]!, x.shape[3]!], 'histogram channel group');
    ctx.copyElements(x, c0 * plane, group, 0, count * plane);
    run(group, c0, count);
    group.release();
  }
  return { range, cdf };
}

/** The quantile table [C, HISTOGRAM_QUANTILES] of the distributions `of` describes. */
export function histogramQuantiles(ctx: GpuContext, of: ChannelCdf): DeviceTensor {
  const channels = of.range.shape[0]!;
  const table = ctx.empty([channels, HISTOGRAM_QUANTILES], 'histogram quantiles');
  const params = { n: table.size, quantiles: HISTOGRAM_QUANTILES, bins: histogramBins(ctx) };
  const text = label('histogram_quantiles', { cdf: of.cdf });
  dispatchElementwise(ctx, 'histogram_quantiles', text, table.size, params, [of.range.buffer, of.cdf.buffer, table.buffer]);
  return table;
}

/** The quantile table of x's channels (its CDF made and released). */
export function quantileTable(ctx: GpuContext, x: DeviceTensor): DeviceTensor {
  const of = histogramCdf(ctx, x);
  const table = histogramQuantiles(ctx, of);
  releaseCdf(of);
  return table;
}

export function releaseCdf(of: ChannelCdf): void {
  of.range.release();
  of.cdf.release();
}

/**
 * x matched channel by channel to the distributions of `table` [C, HISTOGRAM_QUANTILES]: each value
 * through x's own CDF (`of`, histogramCdf(x)) then the table's quantile function.
 */
export function histogramRemap(ctx: GpuContext, x: DeviceTensor, of: ChannelCdf, table: DeviceTensor): DeviceTensor {
  const { channels, plane } = channelsOf('histogram_remap', x);
  if (table.shape[0] !== channels || table.shape[1] !== HISTOGRAM_QUANTILES)
    throw new Error(
      `histogram_remap: table [${table.shape.join(',')}] for x [${x.shape.join(',')}] must be [${channels}, ${HISTOGRAM_QUANTILES}]`,
    );
  const out = ctx.empty(x.shape, 'histogram matched');
  const bins = histogramBins(ctx);
  const text = label('histogram_remap', { x, table });
  const whole = [of.range.buffer, of.cdf.buffer, table.buffer];
  const chunks = fitsBinding(ctx, x) ? [{ offset: 0, count: x.size }] : flatChunks(ctx, x.size);
  for (const { offset, count } of chunks) {
    const params = { n: count, plane, offset, quantiles: HISTOGRAM_QUANTILES, bins };
    const io = count === x.size ? [x.buffer, out.buffer] : [ctx.range(x, offset, count), ctx.range(out, offset, count)];
    ctx.dispatch({
      kernel: 'histogram_remap',
      label: `${text} [${offset}, ${offset + count})`,
      params,
      buffers: [io[0]!, ...whole, io[1]!],
      workgroups: gridFor(ctx, count, 'histogram_remap'),
    });
  }
  return out;
}
