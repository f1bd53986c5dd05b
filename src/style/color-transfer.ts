// Colour transfer before optimising (--color-transfer; Gatys et al. 2017 §5): an image takes other
// images' colour distribution by histogram matching, channel by channel, in YIQ (luminance and two
// chroma axes: natural images' R, G and B move together, so matching them one by one would mix
// luminance into the chroma; YIQ's axes are nearly decorrelated, fixed, and the space the
// luminance-only --original-colors already uses). The references' quantile functions are blended
// with the style blend weights (the 1-D Wasserstein barycenter per channel, as the histogram term).
// All on the device (kernels/histogram.ts, kernels/color_yiq.ts). Browser-safe.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { axpby, colorYiq, histogramCdf, histogramRemap, quantileTable, releaseCdf, scale } from '../kernels/index.js';

/** The blended quantile table [3, Q] of the references' YIQ channels. */
function referenceTable(ctx: GpuContext, references: readonly DeviceTensor[], blend: readonly number[]): DeviceTensor {
  let table: DeviceTensor | null = null;
  references.forEach((rgb, i) => {
    const yiq = colorYiq(ctx, rgb);
    const own = quantileTable(ctx, yiq);
    yiq.release();
    if (!table) table = references.length === 1 ? own : scale(ctx, own, blend[i]!);
    else axpby(ctx, blend[i]!, own, 1, table);
    if (table !== own) own.release();
  });
  return table!;
}

/**
 * `source` (RGB 0..1 [1, 3, H, W]) with the colour distribution of `references` (RGB 0..1, any
 * sizes) blended by `blend` (weights summing to 1): a new tensor, RGB clamped to 0..1.
 */
export function transferColors(
  ctx: GpuContext,
  source: DeviceTensor,
  references: readonly DeviceTensor[],
  blend: readonly number[],
): DeviceTensor {
  const table = referenceTable(ctx, references, blend);
  const yiq = colorYiq(ctx, source);
  const of = histogramCdf(ctx, yiq);
  const matched = histogramRemap(ctx, yiq, of, table);
  const rgb = colorYiq(ctx, matched, true);
  releaseCdf(of);
  for (const t of [table, yiq, matched]) t.release();
  return rgb;
}
