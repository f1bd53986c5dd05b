// A warm style session: the VGG network loaded once and the style images kept, for many runs of
// the style job (a video's frames; a batch's images later). The style targets (the style layers'
// statistics, blended, and the histogram term's) are kept for the last few working sizes, so the
// frames of a video, all at one size, compute them once. Each run gives the same result as a job of its own (runStyleJob is one session, one run).
// Browser-safe.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { limitWinogradCache, releaseWinogradWeights } from '../kernels/index.js';
import { Vgg19, type VggWeights } from '../vgg/index.js';
import { lossNormalizers } from './convention.js';
import { transferColors } from './color-transfer.js';
import { normalizedToRgb, rgbToNormalized, uploadImage, type RgbaImage } from './image-tensor.js';
import { JobRun, type RunResources } from './job-run.js';
import type { Scale, StyleHooks, StyleOptions, StyleResult } from './job-types.js';
import {
  blendWeights,
  computeContentTargets,
  computeStyleTargets,
  deepestLayer,
  releaseStyleTargets,
  type LossConfig,
  type StyleTargets,
  type Targets,
} from './loss.js';
import { StyleNetwork } from './network.js';
import { styleImageSize } from './sizes.js';

/** The settings that shape a session's network and style targets: every run's options must agree with them. */
export type SessionSettings = Pick<StyleOptions, 'loss' | 'pooling' | 'normalizeConvention' | 'styleBlend'>;

type Size = { width: number; height: number };

/**
 * Working sizes whose style targets a session keeps: a batch's images of a few shapes each run the
 * same few scales. A Gram set is C×C per style layer, about 2.4 MB for the default layers, whatever the size.
 */
const TARGET_SETS_KEPT = 8;

/** A number per content image object (--color-transfer content keys the style targets by it). */
const contentIds = new WeakMap<RgbaImage, number>();
let contentCount = 0;
function contentIdOf(content: RgbaImage): number {
  let id = contentIds.get(content);
  if (id === undefined) contentIds.set(content, (id = ++contentCount));
  return id;
}

export class StyleSession implements RunResources {
  readonly net: StyleNetwork;
  /** How many times the style targets were computed: once per working size (and style settings) while kept. */
  styleTargetComputations = 0;
  private readonly blend: number[];
  private readonly deepest: number;
  /** The style images on the device, shrunk to the largest size the last run's scales needed. */
  private styleRgb: { key: string; tensors: DeviceTensor[] } | null = null;
  /** The style targets of the last TARGET_SETS_KEPT working sizes (a batch's images go through the same few), oldest first. */
  private readonly styleTargets = new Map<string, StyleTargets>();
  /**
   * With --color-transfer content, the run's content image (by identity): the style targets are
   * the content's own then, so a video's frames compute them each frame.
   */
  private contentId: number | null = null;

  constructor(
    readonly ctx: GpuContext,
    weights: VggWeights,
    private readonly styles: readonly RgbaImage[],
    private readonly settings: SessionSettings,
  ) {
    this.blend = blendWeights(settings.styleBlend, styles.length);
    this.deepest = deepestLayer(settings.loss);
    this.net = new StyleNetwork(Vgg19.load(ctx, weights, { upTo: this.deepest, pooling: settings.pooling }));
  }

  /** Runs the style job on `content` (the options planJob made, agreeing with the session's settings). */
  async run(content: RgbaImage, options: StyleOptions, hooks: StyleHooks = {}): Promise<StyleResult> {
    this.check(options);
    this.contentId = options.colorTransfer === 'content' ? contentIdOf(content) : null;
    const run = new JobRun(this, content, options, hooks);
    // The pool gives back spare buffers rather than let live + pooled pass the budget.
    this.ctx.limitMemory(options.memory.budgetMiB * 2 ** 20);
    try {
      return await run.run();
    } finally {
      run.dispose();
      this.ctx.limitMemory(Infinity);
      limitWinogradCache(this.ctx, Infinity);
    }
  }

  dispose(): void {
    for (const t of this.styleRgb?.tensors ?? []) t.release();
    for (const set of this.styleTargets.values()) releaseStyleTargets(set);
    this.styleRgb = null;
    this.styleTargets.clear();
    this.net.vgg.dispose();
    releaseWinogradWeights(this.ctx);
  }

  lossFor(loss: LossConfig): LossConfig {
    const normalize = this.settings.normalizeConvention ?? true;
    return { ...loss, ...lossNormalizers(normalize ? this.net.inputScale : 1) };
  }

  /**
   * The content's features, and the style targets kept from an earlier call with the same working size,
   * style settings and style images as uploaded (so that they are the ones a job of its own computes).
   */
  targets(content: DeviceTensor, scale: Scale, options: StyleOptions, loss: LossConfig): Targets {
    const rgb = this.styleImages(options);
    const key = JSON.stringify([
      this.styleRgb!.key,
      scale.width,
      scale.height,
      options.styleScale,
      loss.styleWeight !== 0,
      loss.styleLayers,
      loss.styleLoss ?? 'gram',
      !!loss.styleMasks,
      loss.histogram?.weight ? loss.histogram.layers : null,
      this.contentId, // --color-transfer content: the style images take this content's colours
    ]);
    const contentTargets = computeContentTargets(this.ctx, this.net, content, loss);
    if (this.contentId !== null) this.dropOtherContents();
    let style = this.styleTargets.get(key);
    this.styleTargets.delete(key);
    if (!style) {
      const contentRgb = this.contentId === null ? null : normalizedToRgb(this.ctx, content);
      const styles = rgb.map((t, i) => {
        const size = this.styleSize(this.styles[i]!, scale, options.styleScale);
        const source = contentRgb ? transferColors(this.ctx, t, [contentRgb], [1]) : t;
        const normalized = rgbToNormalized(this.ctx, source, size.width, size.height);
        if (source !== t) source.release();
        return normalized;
      });
      contentRgb?.release();
      style = computeStyleTargets(this.ctx, this.net, styles, loss, this.blend);
      this.styleTargetComputations++;
      for (const t of styles) t.release();
    }
    this.styleTargets.set(key, style); // the most recent last
    for (const [old, set] of this.styleTargets) {
      if (this.styleTargets.size <= TARGET_SETS_KEPT) break;
      releaseStyleTargets(set);
      this.styleTargets.delete(old);
    }
    return { content: contentTargets, style };
  }

  /**
   * Releases the kept style targets made for another content image (--color-transfer content): no
   * later run uses them (a video's frames and a batch's images are each a content of their own).
   */
  private dropOtherContents(): void {
    for (const [key, set] of this.styleTargets) {
      const made = (JSON.parse(key) as unknown[]).at(-1); // the key's content id (null: not per content)
      if (made === null || made === this.contentId) continue;
      releaseStyleTargets(set);
      this.styleTargets.delete(key);
    }
  }

  prepareContent(rgb: DeviceTensor, options: StyleOptions): DeviceTensor {
    if (options.colorTransfer !== 'style') return rgb;
    const recoloured = transferColors(this.ctx, rgb, this.styleImages(options), this.blend);
    rgb.release();
    return recoloured;
  }

  /**
   * The style images on the device, shrunk to the largest size a scale of `options` needs (as a job
   * of its own would upload them, so that the run's numbers are the same); uploaded again only when
   * that size changes.
   */
  private styleImages(options: StyleOptions): DeviceTensor[] {
    const sizes = this.styles.map((s) => {
      const each = options.scales.map((scale) => this.styleSize(s, scale, options.styleScale));
      return { width: Math.max(...each.map((x) => x.width)), height: Math.max(...each.map((x) => x.height)) };
    });
    const key = JSON.stringify(sizes);
    if (this.styleRgb?.key !== key) {
      for (const t of this.styleRgb?.tensors ?? []) t.release();
      const tensors = this.styles.map((s, i) => uploadImage(this.ctx, s, `style image ${i + 1}`, sizes[i]));
      this.styleRgb = { key, tensors };
    }
    return this.styleRgb.tensors;
  }

  /** A style image's size at a scale (sizes.ts). */
  private styleSize(style: Size, scale: Size, styleScale: number): Size {
    return styleImageSize(style, scale, styleScale, this.deepest);
  }

  /** A run's options must shape the network and the Grams as the session's settings do. */
  private check(options: StyleOptions): void {
    const shaping = (s: SessionSettings) =>
      JSON.stringify([s.pooling, s.normalizeConvention ?? true, s.styleBlend ?? null, deepestLayer(s.loss)]);
    if (shaping(options) !== shaping(this.settings))
      throw new Error('StyleSession.run: the options shape the network or the style targets otherwise than the session was made for');
  }
}
