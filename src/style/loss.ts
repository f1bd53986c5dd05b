// The Gatys loss: content = MSE of features at the content layers; style = each style layer's
// statistics against the style's (the Gram matrices' MSE by default; style-statistics.ts has the
// others), blended over several style images or one per region with style masks; total variation
// on the image; total = wc·content + ws·style + wtv·tv, plus wh·histogram (Risser et al. 2017) and
// wt·temporal for a video frame (Ruder et al. 2016: the image against earlier outputs warped into
// this frame, where their flow is reliable). Targets (content features, the style's statistics)
// are computed once per scale, without a gradient.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { ops, Tape, Tensor } from '../graph/index.js';
import { axpby, scale } from '../kernels/index.js';
import { blendHistogramTargets, histogramLoss, histogramTarget } from './histogram-term.js';
import type { StyleNetwork } from './network.js';
import { styleStatistic, type LayerMask, type StyleLossKind, type StyleTarget } from './style-statistics.js';

export interface LossConfig {
  contentLayers: readonly number[];
  styleLayers: readonly number[];
  /** Per style layer (default 1 each). */
  styleLayerWeights?: readonly number[];
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
  /** How a style layer is compared (style-statistics.ts; default gram). */
  styleLoss?: StyleLossKind;
  /** Risser et al.'s histogram term at its layers; absent or weight 0 = off. */
  histogram?: { weight: number; layers: readonly number[] };
  /**
   * Spatial control: one region per style image, in order (its mask at each style layer, made per
   * scale by the run), and the weight of that region's term. Absent: the style images are blended.
   */
  styleMasks?: ReadonlyArray<StyleRegion>;
  /** Multiply the content and style terms before weighting (convention normalisation; default 1). */
  contentNormalizer?: number;
  styleNormalizer?: number;
  /**
   * A video frame's temporal term: weight · Σ_j Σ_px c_j·(x − ω_j)² / x.size, with each target ω_j
   * (an earlier output warped into this frame, in the normalised space at the scale's size) and its
   * certainty c_j ([1, 1, H, W], already long-term combined). Absent for a still image.
   */
  temporal?: TemporalTerm;
}

export interface StyleRegion {
  weight: number;
  layers: ReadonlyMap<number, LayerMask>;
}

export interface TemporalTerm {
  weight: number;
  terms: ReadonlyArray<{ target: DeviceTensor; certainty: DeviceTensor }>;
}

/** Whether the histogram term counts. */
const hasHistogram = (loss: LossConfig): boolean => !!loss.histogram?.weight;

/** The layers each term reads, each once. */
export function lossLayers(loss: LossConfig): number[] {
  return [
    ...new Set([
      ...(loss.contentWeight ? loss.contentLayers : []),
      ...(loss.styleWeight ? loss.styleLayers : []),
      ...(hasHistogram(loss) ? loss.histogram!.layers : []),
    ]),
  ];
}

/** The deepest VGG layer a loss term uses (0 when none does). */
export const deepestLayer = (loss: LossConfig): number => Math.max(0, ...lossLayers(loss));

/** What a scale's loss compares against, computed once per scale (the style's, once per size). */
export interface Targets {
  content: Map<number, DeviceTensor>;
  style: StyleTargets;
}

/** The style images' statistics: per style layer, and per histogram layer. */
export interface StyleTargets {
  /** One target (the blend) per layer, or with style masks one per style image, in order. */
  layers: Map<number, StyleTarget[]>;
  histogram: Map<number, DeviceTensor[]>;
}

export interface LossTerms {
  total: Tensor;
  content: Tensor | null;
  style: Tensor | null;
  tv: Tensor | null;
  temporal: Tensor | null;
  histogram: Tensor | null;
}

/** The style images' blend weights, normalised to sum 1 (`given`: --style-blend, default equal). */
export function blendWeights(given: readonly number[] | undefined, styles: number): number[] {
  const weights = given ?? Array.from({ length: styles }, () => 1);
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((b) => (total > 0 ? b / total : 0));
}

/** Content features of `content`; the styles' statistics blended by `blend` (weights summing to 1). */
export function computeTargets(
  ctx: GpuContext,
  net: StyleNetwork,
  content: DeviceTensor,
  styles: readonly DeviceTensor[],
  config: LossConfig,
  blend: readonly number[] = styles.map(() => 1 / styles.length),
): Targets {
  return { content: computeContentTargets(ctx, net, content, config), style: computeStyleTargets(ctx, net, styles, config, blend) };
}

/** The content targets alone (a StyleSession keeps the style's across frames and scales of one size). */
export function computeContentTargets(ctx: GpuContext, net: StyleNetwork, content: DeviceTensor, config: LossConfig): Targets['content'] {
  return withTape(ctx, (tape) => {
    const features: Targets['content'] = new Map();
    if (!config.contentWeight) return features;
    for (const [layer, f] of net.features(tape, Tensor.leaf(content), config.contentLayers)) features.set(layer, tape.keep(f).value);
    return features;
  });
}

/**
 * The style targets alone: each style layer's statistics (blended by `blend`, or one per style
 * image with style masks) and each histogram layer's target.
 */
export function computeStyleTargets(
  ctx: GpuContext,
  net: StyleNetwork,
  styles: readonly DeviceTensor[],
  config: LossConfig,
  blend: readonly number[],
): StyleTargets {
  const statistic = styleStatistic(config.styleLoss);
  const perStyle: Array<{ layers: Map<number, StyleTarget>; histogram: Map<number, DeviceTensor[]> }> = withTape(ctx, (tape) =>
    styles.map((style) => {
      const layers = lossLayers({ ...config, contentWeight: 0 });
      const features = layers.length ? net.features(tape, Tensor.leaf(style), layers) : new Map<number, Tensor>();
      const keep = (tensors: DeviceTensor[]) => tensors.map((t) => tape.keep(Tensor.leaf(t)).value);
      const of = (ls: readonly number[], take: (f: Tensor) => DeviceTensor[]) =>
        new Map(ls.map((l) => [l, keep(take(features.get(l)!))] as const));
      return {
        layers: config.styleWeight ? of(config.styleLayers, (f) => statistic.of(tape, f)) : new Map(),
        histogram: hasHistogram(config) ? of(config.histogram!.layers, (f) => histogramTarget(tape, f)) : new Map(),
      };
    }),
  );
  const prepare = (stats: StyleTarget) => statistic.prepare?.(ctx, stats) ?? stats;
  const layers = new Map<number, StyleTarget[]>();
  for (const l of config.styleWeight ? config.styleLayers : []) {
    const each = perStyle.map((s) => s.layers.get(l)!);
    layers.set(l, config.styleMasks ? each.map(prepare) : [prepare(blendSum(ctx, each, blend))]);
  }
  const histogram = new Map<number, DeviceTensor[]>();
  for (const l of hasHistogram(config) ? config.histogram!.layers : []) {
    histogram.set(
      l,
      blendHistogramTargets(
        ctx,
        perStyle.map((s) => s.histogram.get(l)!),
        blend,
      ),
    );
  }
  return { layers, histogram };
}

/** Σ_i blend_i·stats_i, tensor by tensor (the styles' own statistics are released). */
function blendSum(ctx: GpuContext, each: StyleTarget[], blend: readonly number[]): StyleTarget {
  const sum = each[0]!.map((t) => scale(ctx, t, blend[0]!));
  each.forEach((stats, i) =>
    stats.forEach((t, k) => {
      if (i > 0) axpby(ctx, blend[i]!, t, 1, sum[k]!);
      t.release();
    }),
  );
  return sum;
}

function withTape<T>(ctx: GpuContext, body: (tape: Tape) => T): T {
  const tape = new Tape(ctx, { grad: false });
  try {
    return body(tape);
  } finally {
    tape.dispose();
  }
}

export function releaseStyleTargets(targets: StyleTargets): void {
  for (const t of [...targets.layers.values()].flat(2)) t.release();
  for (const t of [...targets.histogram.values()].flat()) t.release();
}

export function releaseTargets(targets: Targets): void {
  for (const t of targets.content.values()) t.release();
  releaseStyleTargets(targets.style);
}

export function styleTransferLoss(tape: Tape, net: StyleNetwork, image: Tensor, targets: Targets, config: LossConfig): LossTerms {
  const layers = lossLayers(config);
  const features = layers.length ? net.features(tape, image, layers) : new Map<number, Tensor>();
  const contentNormalizer = config.contentNormalizer ?? 1;
  const content = config.contentWeight
    ? ops.weightedSum(
        tape,
        config.contentLayers.map(
          (l) => [ops.mse(tape, features.get(l)!, Tensor.leaf(targets.content.get(l)!)), contentNormalizer] as const,
        ),
      )
    : null;
  const style = config.styleWeight ? styleTerm(tape, features, targets.style, config) : null;
  const histogram = hasHistogram(config)
    ? ops.weightedSum(
        tape,
        // Quadratic in the features as the content term is: the same convention normaliser.
        config.histogram!.layers.map(
          (l) => [histogramLoss(tape, features.get(l)!, targets.style.histogram.get(l)!), contentNormalizer] as const,
        ),
      )
    : null;
  const tv = config.tvWeight ? ops.totalVariation(tape, image) : null;
  const temporal = temporalLoss(tape, image, config);
  const terms: Array<readonly [Tensor, number]> = [];
  if (content) terms.push([content, config.contentWeight]);
  if (style) terms.push([style, config.styleWeight]);
  if (tv) terms.push([tv, config.tvWeight]);
  if (temporal) terms.push([temporal, config.temporal!.weight]);
  if (histogram) terms.push([histogram, config.histogram!.weight]);
  if (terms.length === 0) throw new Error('every loss weight is 0: nothing to optimise');
  return { total: ops.weightedSum(tape, terms), content, style, tv, temporal, histogram };
}

/**
 * Σ over style layers of the layer's weight times its term: against the blend, or with style masks
 * each region's term (its weight times its style's statistics over its mask).
 */
function styleTerm(tape: Tape, features: ReadonlyMap<number, Tensor>, targets: StyleTargets, config: LossConfig): Tensor {
  const statistic = styleStatistic(config.styleLoss);
  const normalizer = config.styleNormalizer ?? 1;
  const terms = config.styleLayers.flatMap((l, i) => {
    const weight = normalizer * (config.styleLayerWeights?.[i] ?? 1);
    const f = features.get(l)!;
    const layerTargets = targets.layers.get(l)!;
    if (!config.styleMasks) return [[statistic.loss(tape, f, layerTargets[0]!), weight] as const];
    return config.styleMasks.map(
      (region, k) => [statistic.loss(tape, f, layerTargets[k]!, region.layers.get(l)!), weight * region.weight] as const,
    );
  });
  return ops.weightedSum(tape, terms);
}

/** Whether a loss has the temporal term: a weight and at least one earlier output (a video's first frame has none). */
export const hasTemporalTerm = (loss: LossConfig): boolean => !!loss.temporal?.weight && loss.temporal.terms.length > 0;

/** Σ_j of each earlier output's temporal loss (unweighted), or null when the term is off. */
function temporalLoss(tape: Tape, image: Tensor, config: LossConfig): Tensor | null {
  if (!hasTemporalTerm(config)) return null;
  return ops.weightedSum(
    tape,
    config.temporal!.terms.map(({ target, certainty }) => [ops.temporalLoss(tape, image, target, certainty), 1] as const),
  );
}
