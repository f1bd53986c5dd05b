// The Gatys loss: content = MSE of features at the content layers; style = MSE of Gram matrices at
// the style layers; total variation on the image; total = wc·content + ws·style + wtv·tv.
// Targets (content features, style Grams, blended over several style images) are computed once
// per scale, without a gradient.

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
  const tape = new Tape(ctx, { grad: false });
  try {
    const targets: Targets = { content: new Map(), grams: new Map() };
    if (config.contentWeight) {
      for (const [layer, f] of net.features(tape, Tensor.leaf(content), config.contentLayers))
        targets.content.set(layer, tape.keep(f).value);
    }
    if (config.styleWeight) {
      styles.forEach((style, i) => {
        for (const [layer, f] of net.features(tape, Tensor.leaf(style), config.styleLayers)) {
          const gram = ops.gram(tape, f).value;
          const sum = targets.grams.get(layer);
          if (sum) axpby(ctx, blend[i]!, gram, 1, sum);
          else targets.grams.set(layer, tape.keep(ops.scale(tape, Tensor.leaf(gram), blend[i]!)).value);
        }
      });
    }
    return targets;
  } finally {
    tape.dispose();
  }
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
  const terms: Array<readonly [Tensor, number]> = [];
  if (content) terms.push([content, config.contentWeight]);
  if (style) terms.push([style, config.styleWeight]);
  if (tv) terms.push([tv, config.tvWeight]);
  if (terms.length === 0) throw new Error('every loss weight is 0: nothing to optimise');
  return { total: ops.weightedSum(tape, terms), content, style, tv };
}
