// The Gatys loss: content = MSE of features at the content layers; style = MSE of Gram matrices at
// the style layers; total variation on the image; total = wc·content + ws·style + wtv·tv.
// Targets (content features, style Grams) are computed once, without a gradient.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { ops, Tape, Tensor } from '../graph/index.js';
import type { Vgg19 } from '../vgg/index.js';

export interface LossConfig {
  contentLayers: readonly number[];
  styleLayers: readonly number[];
  /** Per style layer (default 1 each). */
  styleLayerWeights?: readonly number[];
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
}

/** The seed's configuration. */
export const SEED_LOSS: LossConfig = { contentLayers: [25], styleLayers: [0, 5, 10, 19, 28], contentWeight: 1, styleWeight: 1e3, tvWeight: 50 };

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

export function computeTargets(ctx: GpuContext, vgg: Vgg19, content: DeviceTensor, style: DeviceTensor, config: LossConfig): Targets {
  const tape = new Tape(ctx, { grad: false });
  try {
    const contentFeatures = vgg.extract(tape, Tensor.leaf(content), config.contentLayers);
    const styleFeatures = vgg.extract(tape, Tensor.leaf(style), config.styleLayers);
    const targets: Targets = { content: new Map(), grams: new Map() };
    for (const [layer, f] of contentFeatures) targets.content.set(layer, tape.keep(f).value);
    for (const [layer, f] of styleFeatures) targets.grams.set(layer, tape.keep(ops.gram(tape, f)).value);
    return targets;
  } finally {
    tape.dispose();
  }
}

export function releaseTargets(targets: Targets): void {
  for (const t of [...targets.content.values(), ...targets.grams.values()]) t.release();
}

export function styleTransferLoss(tape: Tape, vgg: Vgg19, image: Tensor, targets: Targets, config: LossConfig): LossTerms {
  const layers = [...new Set([...(config.contentWeight ? config.contentLayers : []), ...(config.styleWeight ? config.styleLayers : [])])];
  const features = layers.length ? vgg.extract(tape, image, layers) : new Map<number, Tensor>();
  const content = config.contentWeight
    ? ops.weightedSum(tape, config.contentLayers.map((l) => [ops.mse(tape, features.get(l)!, Tensor.leaf(targets.content.get(l)!)), 1] as const))
    : null;
  const style = config.styleWeight
    ? ops.weightedSum(
        tape,
        config.styleLayers.map((l, i) => [ops.mse(tape, ops.gram(tape, features.get(l)!), Tensor.leaf(targets.grams.get(l)!)), config.styleLayerWeights?.[i] ?? 1] as const),
      )
    : null;
  const tv = config.tvWeight ? ops.totalVariation(tape, image) : null;
  const terms: Array<readonly [Tensor, number]> = [];
  if (content) terms.push([content, config.contentWeight]);
  if (style) terms.push([style, config.styleWeight]);
  if (tv) terms.push([tv, config.tvWeight]);
  return { total: ops.weightedSum(tape, terms), content, style, tv };
}
