// What a video frame takes from the frames before it (Ruder, Dosovitskiy, Brox 2016): for each
// earlier frame t−j, the backward and forward flows between the content frames, their consistency,
// and that frame's output (as stored) warped into frame t; the certainties combined long-term
// (nearer frames first); and the starting image, the nearest warped output where its flow is
// reliable and the content elsewhere. Browser-safe; everything on the device.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { certaintyMix, longTermCertainty, resize, warpForward } from '../kernels/index.js';
import { flowConsistency, opticalFlow } from '../flow/index.js';
import { rgbToNormalized, uploadImage, type RgbaImage } from '../style/image-tensor.js';
import type { TemporalTerm } from '../style/loss.js';

type Size = { width: number; height: number };

/** A frame's temporal term and starting image; release() frees them. */
export interface FrameTemporal {
  term: TemporalTerm;
  /** The starting image in the normalised space at the frame's size. */
  init: DeviceTensor;
  release(): void;
}

/** An RGB 0..1 tensor [1, 3, h, w] of `image` at exactly `size` (shrunk by the area filter, or resized up). */
export function frameTensor(ctx: GpuContext, image: RgbaImage, size: Size, label: string): DeviceTensor {
  const rgb = uploadImage(ctx, image, label, size);
  const [, , h, w] = rgb.shape as [number, number, number, number];
  if (h === size.height && w === size.width) return rgb;
  const sized = resize(ctx, rgb, size.height, size.width);
  rgb.release();
  return sized;
}

/**
 * Frame t's temporal term against the earlier frames `earlier` (nearest first: content and output
 * as stored, both RgbaImage), at `size`. `weight` is the term's weight.
 */
export function frameTemporal(
  ctx: GpuContext,
  content: RgbaImage,
  earlier: ReadonlyArray<{ content: RgbaImage; output: RgbaImage }>,
  size: Size,
  weight: number,
): FrameTemporal {
  const current = frameTensor(ctx, content, size, 'content frame');
  const warped: DeviceTensor[] = [];
  const certainties: DeviceTensor[] = [];
  for (const [j, frame] of earlier.entries()) {
    const before = frameTensor(ctx, frame.content, size, `content frame t-${j}`);
    const backward = opticalFlow(ctx, current, before);
    const forward = opticalFlow(ctx, before, current);
    certainties.push(flowConsistency(ctx, backward, forward));
    const outputRgb = frameTensor(ctx, frame.output, size, `output frame t-${j}`);
    const output = rgbToNormalized(ctx, outputRgb, size.width, size.height);
    warped.push(warpForward(ctx, output, backward));
    for (const t of [before, backward, forward, outputRgb, output]) t.release();
  }
  const longTerm = longTermCertainty(ctx, certainties);
  const contentNormalized = rgbToNormalized(ctx, current, size.width, size.height);
  const init = certaintyMix(ctx, warped[0]!, contentNormalized, certainties[0]!);
  for (const t of [current, contentNormalized, ...certainties]) t.release();
  return {
    term: { weight, terms: warped.map((target, j) => ({ target, certainty: longTerm[j]! })) },
    init,
    release: () => {
      for (const t of [...warped, ...longTerm, init]) t.release();
    },
  };
}
