// Spatial control (--style-mask; Gatys et al. 2017 §4): one mask image per style image, white where
// that style goes (grey = its share, luma × alpha). The masks are checked against the styles and the
// content, go up once per run (shrunk to the largest working size), and per scale are resized to it
// and brought to each style layer's size the way VGG's pools shrink the features (a 2×2 average per
// pool, odd sides floored), each with its mean read once: the regions of LossConfig.styleMasks.
// Browser-safe.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { avgPool2x2Forward, maskLuma, resize, sum } from '../kernels/index.js';
import { UserError } from '../util/errors.js';
import { VGG19_FEATURES } from '../vgg/index.js';
import type { RgbaImage } from './image-tensor.js';
import { blendWeights, type StyleRegion } from './loss.js';

type Size = { width: number; height: number };

/** How far a mask's aspect ratio may be from the content's (relative) before it is refused. */
export const MASK_ASPECT_TOLERANCE = 0.01;

/** A mask's name in messages: its file, or its place. */
const nameOf = (names: readonly string[] | undefined, i: number) => names?.[i] ?? `style mask ${i + 1}`;

/**
 * Refuses masks that cannot go with these styles and this content: a count other than the styles',
 * an aspect ratio more than 1 % from the content's, a mask black (or transparent) everywhere.
 */
export function checkStyleMasks(
  masks: readonly RgbaImage[],
  styles: number,
  content: Size & { name?: string },
  names?: readonly string[],
): void {
  if (masks.length !== styles)
    throw new UserError(
      `${masks.length} style ${masks.length === 1 ? 'mask' : 'masks'} for ${styles} style ${styles === 1 ? 'image' : 'images'}: give one --style-mask per style image, in the same order`,
    );
  const ratio = content.width / content.height;
  masks.forEach((mask, i) => {
    const name = nameOf(names, i);
    const off = Math.abs(mask.width / mask.height / ratio - 1);
    if (off > MASK_ASPECT_TOLERANCE)
      throw new UserError(
        `${name} is ${mask.width}×${mask.height}, the content ${content.name ? `(${content.name}) ` : ''}${content.width}×${content.height}: ` +
          `their aspect ratios differ by ${(off * 100).toFixed(1)} % (at most ${MASK_ASPECT_TOLERANCE * 100} %); give a mask of the content's shape`,
      );
    // Any pixel with colour and alpha: a check of the input, as decoding does, before any work.
    let lit = false;
    for (let p = 0; p < mask.data.length && !lit; p += 4)
      lit = mask.data[p + 3]! > 0 && (mask.data[p]! | mask.data[p + 1]! | mask.data[p + 2]!) > 0;
    if (!lit)
      throw new UserError(`${name} is black (or transparent) everywhere, so its style would go nowhere; paint white where that style goes`);
  });
}

/** Pools (2×2) between the image and module `layer`'s output. */
const poolsBefore = (layer: number) => VGG19_FEATURES.filter((m) => m.kind === 'pool' && m.index <= layer).length;

export class StyleMaskSet {
  /** Each mask's weights [1, 1, h, w], shrunk to the largest working size. */
  private readonly weights: DeviceTensor[];

  constructor(
    private readonly ctx: GpuContext,
    masks: readonly RgbaImage[],
    largest: Size,
    private readonly names?: readonly string[],
  ) {
    this.weights = masks.map((mask, i) => {
      const full = maskLuma(ctx, mask.data, mask.width, mask.height, nameOf(names, i));
      const shrunk = resize(ctx, full, Math.min(mask.height, largest.height), Math.min(mask.width, largest.width));
      full.release();
      return shrunk;
    });
  }

  /**
   * The regions at a working size: each mask at each of `layers`' sizes with its mean, weighted by
   * `regionWeights` (one per mask). Release them with releaseRegions.
   */
  async regions(size: Size, layers: readonly number[], regionWeights: readonly number[]): Promise<StyleRegion[]> {
    const { ctx } = this;
    const regions = this.weights.map((weights, i) => {
      let level = resize(ctx, weights, size.height, size.width);
      let pools = 0;
      const byLayer = new Map<number, DeviceTensor>();
      for (const layer of [...layers].sort((a, b) => a - b)) {
        for (; pools < poolsBefore(layer); pools++) {
          const next = avgPool2x2Forward(ctx, level);
          level.release();
          level = next;
        }
        byLayer.set(layer, ctx.copy(level, `${nameOf(this.names, i)} at layer ${layer}`));
      }
      level.release();
      return byLayer;
    });
    const means = await Promise.all(regions.flatMap((byLayer) => [...byLayer.values()].map((w) => readMean(ctx, w))));
    let k = 0;
    const made = regions.map((byLayer, i) => ({
      weight: regionWeights[i]!,
      layers: new Map([...byLayer].map(([layer, w]) => [layer, { weights: w, mean: means[k++]! }] as const)),
    }));
    made.forEach((region, i) => {
      for (const [layer, { weights, mean }] of region.layers) {
        if (mean > 0) continue;
        releaseRegions(made);
        const [h, w] = weights.shape.slice(2);
        throw new UserError(
          `${nameOf(this.names, i)} leaves nothing of its region at ${VGG19_FEATURES[layer]!.name} (${w}×${h} at the working size ${size.width}×${size.height}); make its white area larger`,
        );
      }
    });
    return made;
  }

  dispose(): void {
    for (const t of this.weights) t.release();
  }
}

/** The mean of a mask, read back (once per layer and scale). */
async function readMean(ctx: GpuContext, weights: DeviceTensor): Promise<number> {
  const total = sum(ctx, weights, 1 / weights.size);
  const [mean] = await total.read();
  total.release();
  return mean!;
}

export function releaseRegions(regions: readonly StyleRegion[]): void {
  for (const region of regions) for (const { weights } of region.layers.values()) weights.release();
}

/** Each region's weight: its style's blend weight (normalised to sum 1) times the number of styles, so 1 each by default. */
export function regionWeights(styleBlend: readonly number[] | undefined, styles: number): number[] {
  return blendWeights(styleBlend, styles).map((b) => b * styles);
}
