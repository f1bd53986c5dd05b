// The Gatys loss: content = MSE of features at the content layers; style = MSE of Gram matrices at
// the style layers; total variation on the image; total = wc·content + ws·style + wtv·tv, plus
// wt·temporal for a video frame (Ruder et al. 2016: the image against earlier outputs warped into
// this frame, where their flow is reliable). Targets (content features, style Grams, blended over
// several style images) are computed once per scale, without a gradient.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { ops, Tape, Tensor } from '../graph/index.js';
import { axpby } from '../kernels/index.js';
import type { StyleNetwork } from './network.js';

export interface LossConfig {
  contentLayers: readonly number[];
  styleLayers: readonly number[];
  /** Per style layer (default 1 each). */
  styleLayerWeights?: readonly number[];
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
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

export interface TemporalTerm {
  weight: number;
  terms: ReadonlyArray<{ target: DeviceTensor; certainty: DeviceTensor }>;
}

/** The deepest VGG layer a loss term uses (0 when none does). */
export const deepestLayer = (loss: LossConfig): number =>
  Math.max(0, ...(loss.contentWeight ? loss.contentLayers : []), ...(loss.styleWeight ? loss.styleLayers : []));

export interface Targets {
  content: Map<number, DeviceTensor>;
  grams: Map<number, DeviceTensor>;
}

export interface LossTerms {
  total: Tensor;
  content: Tensor | null;
  style: Tensor | null;
  tv: Tensor | null;
  temporal: Tensor | null;
}

/** Content features of `content`; Grams of the styles blended by `blend` (weights summing to 1). */
export function computeTargets(
  ctx: GpuContext,
  net: StyleNetwork,
  content: DeviceTensor,
  styles: readonly DeviceTensor[],
  config: LossConfig,
  blend: readonly number[] = styles.map(() => 1 / styles.length),
): Targets {
  return withTape(ctx, (tape) => ({
    content: contentFeatures(tape, net, content, config),
    grams: styleGrams(tape, net, styles, config, blend),
  }));
}

/** The content targets alone (a StyleSession keeps the Grams across frames and scales of one size). */
export function computeContentTargets(ctx: GpuContext, net: StyleNetwork, content: DeviceTensor, config: LossConfig): Targets['content'] {
  return withTape(ctx, (tape) => contentFeatures(tape, net, content, config));
}

/** The style targets alone: the styles' Grams blended by `blend`. */
export function computeStyleGrams(
  ctx: GpuContext,
  net: StyleNetwork,
  styles: readonly DeviceTensor[],
  config: LossConfig,
  blend: readonly number[],
): Targets['grams'] {
  return withTape(ctx, (tape) => styleGrams(tape, net, styles, config, blend));
}

function withTape<T>(ctx: GpuContext, body: (tape: Tape) => T): T {
  const tape = new Tape(ctx, { grad: false });
  try {
    return body(tape);
  } finally {
    tape.dispose();
  }
}

function contentFeatures(tape: Tape, net: StyleNetwork, content: DeviceTensor, config: LossConfig): Targets['content'] {
  const features: Targets['content'] = new Map();
  if (!config.contentWeight) return features;
  for (const [layer, f] of net.features(tape, Tensor.leaf(content), config.contentLayers)) features.set(layer, tape.keep(f).value);
  return features;
}

function styleGrams(
  tape: Tape,
  net: StyleNetwork,
  styles: readonly DeviceTensor[],
  config: LossConfig,
  blend: readonly number[],
): Targets['grams'] {
  const grams: Targets['grams'] = new Map();
  if (!config.styleWeight) return grams;
  styles.forEach((style, i) => {
    for (const [layer, f] of net.features(tape, Tensor.leaf(style), config.styleLayers)) {
      const gram = ops.gram(tape, f).value;
      const sum = grams.get(layer);
      if (sum) axpby(tape.ctx, blend[i]!, gram, 1, sum);
      else grams.set(layer, tape.keep(ops.scale(tape, Tensor.leaf(gram), blend[i]!)).value);
    }
  });
  return grams;
}

export function releaseTargets(targets: Targets): void {
  for (const t of [...targets.content.values(), ...targets.grams.values()]) t.release();
}

export function styleTransferLoss(tape: Tape, net: StyleNetwork, image: Tensor, targets: Targets, config: LossConfig): LossTerms {
  const layers = [...new Set([...(config.contentWeight ? config.contentLayers : []), ...(config.styleWeight ? config.styleLayers : [])])];
  const features = layers.length ? net.features(tape, image, layers) : new Map<number, Tensor>();
  const contentNormalizer = config.contentNormalizer ?? 1;
  const styleNormalizer = config.styleNormalizer ?? 1;
  const content = config.contentWeight
    ? ops.weightedSum(
        tape,
        config.contentLayers.map(
          (l) => [ops.mse(tape, features.get(l)!, Tensor.leaf(targets.content.get(l)!)), contentNormalizer] as const,
        ),
      )
    : null;
  const style = config.styleWeight
    ? ops.weightedSum(
        tape,
        config.styleLayers.map((l, i) => {
          const term = ops.mse(tape, ops.gram(tape, features.get(l)!), Tensor.leaf(targets.grams.get(l)!));
          return [term, styleNormalizer * (config.styleLayerWeights?.[i] ?? 1)] as const;
        }),
      )
    : null;
  const tv = config.tvWeight ? ops.totalVariation(tape, image) : null;
  const temporal = temporalLoss(tape, image, config);
  const terms: Array<readonly [Tensor, number]> = [];
  if (content) terms.push([content, config.contentWeight]);
  if (style) terms.push([style, config.styleWeight]);
  if (tv) terms.push([tv, config.tvWeight]);
  if (temporal) terms.push([temporal, config.temporal!.weight]);
  if (terms.length === 0) throw new Error('every loss weight is 0: nothing to optimise');
  return { total: ops.weightedSum(tape, terms), content, style, tv, temporal };
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
