// Pixel conventions. The optimised image always lives in the normalised space — RGB, /255, minus the
// ImageNet mean, divided by its std — whatever weights are loaded, so --lr and the TV weight mean
// the same for every weights file. The weights' own convention (Caffe: BGR, 0..255 minus mean) is
// applied by a differentiable channel-affine op in front of conv1_1.

import type { ChannelAffine } from '../kernels/index.js';
import { TORCHVISION_INPUT, type InputConvention } from '../vgg/index.js';

/** The normalised space is torchvision's input convention (the seed script's). */
const NORMALIZED = TORCHVISION_INPUT;
type Triple = [number, number, number];
const each = (f: (c: number) => number): Triple => [f(0), f(1), f(2)];

/** RGB 0..1 -> normalised space. */
export const RGB_TO_NORMALIZED: ChannelAffine = {
  perm: [0, 1, 2],
  a: each((c) => 1 / NORMALIZED.std[c]!),
  b: each((c) => -NORMALIZED.mean[c]! / NORMALIZED.std[c]!),
};

/** Normalised space -> RGB 0..1 (clamp separately). */
export const NORMALIZED_TO_RGB: ChannelAffine = {
  perm: [0, 1, 2],
  a: each((c) => NORMALIZED.std[c]!),
  b: each((c) => NORMALIZED.mean[c]!),
};

/** Normalised space -> the network's input convention; null when they are the same. */
export function normalizedToNetwork(input: InputConvention): ChannelAffine | null {
  const perm = each((c) => (input.channelOrder === 'BGR' ? 2 - c : c));
  const a = each((c) => (NORMALIZED.std[perm[c]!]! * input.pixelScale) / input.std[c]!);
  const b = each((c) => (NORMALIZED.mean[perm[c]!]! * input.pixelScale - input.mean[c]!) / input.std[c]!);
  const identity = perm.every((p, c) => p === c) && a.every((v) => Math.abs(v - 1) < 1e-6) && b.every((v) => Math.abs(v) < 1e-6);
  return identity ? null : { perm, a, b };
}

/**
 * How much larger the network's inputs are than the normalised image's (≈ 57.6 for Caffe weights, 1 for
 * torchvision's). Features grow about linearly with it, so content losses grow with its square
 * and Gram (style) losses with its fourth power; dividing by those keeps the seed's loss weights
 * balanced for every weights file.
 */
export function inputScale(input: InputConvention): number {
  const t = normalizedToNetwork(input);
  return t ? (Math.abs(t.a[0]) + Math.abs(t.a[1]) + Math.abs(t.a[2])) / 3 : 1;
}

/** The content and style terms' normalisers for a network whose inputs are `scale` (inputScale) times larger: 1/k², 1/k⁴. */
export function lossNormalizers(scale: number): { contentNormalizer: number; styleNormalizer: number } {
  return { contentNormalizer: 1 / scale ** 2, styleNormalizer: 1 / scale ** 4 };
}
