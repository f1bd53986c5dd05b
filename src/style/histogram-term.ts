// Being built by part C (Risser et al.'s histogram loss); replaced by its implementation this session.

import type { DeviceTensor } from '../gpu/index.js';
import type { Tape, Tensor } from '../graph/index.js';

/** The histogram target of one style image's features at a layer (kept by the caller). */
export function histogramTarget(_tape: Tape, _features: Tensor): DeviceTensor[] {
  throw new Error('--histogram-weight: being built (part C)');
}

/** Several style images' targets at a layer, blended by `blend` (weights summing to 1); takes ownership. */
export function blendHistogramTargets(_targets: DeviceTensor[][], _blend: readonly number[]): DeviceTensor[] {
  throw new Error('--histogram-weight: being built (part C)');
}

/** The term for the image's features against a layer's target (a scalar tensor with a gradient). */
export function histogramLoss(_tape: Tape, _features: Tensor, _target: DeviceTensor[]): Tensor {
  throw new Error('--histogram-weight: being built (part C)');
}
