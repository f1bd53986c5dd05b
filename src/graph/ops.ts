// Differentiable ops: each runs its forward kernel and records itself on the tape with what its
// backward needs. Their records (name, reads, backward) are in gradients.ts.

import type { DeviceTensor } from '../gpu/index.js';
import * as k from '../kernels/index.js';
import { OPS } from './gradients.js';
import type { Tape } from './tape.js';
import type { Tensor } from './tensor.js';

export interface ConvWeights {
  weight: DeviceTensor;
  bias: DeviceTensor;
  /** flipConv3x3Weights(weight), made once when the weights are loaded. */
  flippedWeights: DeviceTensor;
}

export function conv3x3(tape: Tape, x: Tensor, w: ConvWeights): Tensor {
  const y = k.conv3x3Forward(tape.ctx, x.value, w.weight, w.bias);
  return tape.record(OPS.conv3x3, [x], y, w.flippedWeights);
}

/**
 * conv3x3(relu(x)) + bias in one kernel (the ReLU applied as x is loaded), so the ReLU's output is
 * never stored; its backward masks the input gradient by [x > 0] as it is stored.
 */
export function reluConv3x3(tape: Tape, x: Tensor, w: ConvWeights): Tensor {
  const y = k.conv3x3Forward(tape.ctx, x.value, w.weight, w.bias, { reluInput: true });
  return tape.record(OPS.reluConv3x3, [x], y, w.flippedWeights);
}

export function relu(tape: Tape, x: Tensor): Tensor {
  return tape.record(OPS.relu, [x], k.reluForward(tape.ctx, x.value));
}

export function maxPool(tape: Tape, x: Tensor): Tensor {
  return tape.record(OPS.maxpool, [x], k.maxPool2x2Forward(tape.ctx, x.value));
}

export function avgPool(tape: Tape, x: Tensor): Tensor {
  return tape.record(OPS.avgpool, [x], k.avgPool2x2Forward(tape.ctx, x.value));
}

export function gram(tape: Tape, x: Tensor): Tensor {
  return tape.record(OPS.gram, [x], k.gramForward(tape.ctx, x.value));
}

export function mse(tape: Tape, a: Tensor, b: Tensor): Tensor {
  return tape.record(OPS.mse, [a, b], k.mseForward(tape.ctx, a.value, b.value));
}

export function totalVariation(tape: Tape, x: Tensor): Tensor {
  return tape.record(OPS.tv, [x], k.tvForward(tape.ctx, x.value));
}

export function scale(tape: Tape, x: Tensor, factor: number): Tensor {
  return tape.record(OPS.scale, [x], k.scale(tape.ctx, x.value, factor), factor);
}

export function add(tape: Tape, a: Tensor, b: Tensor): Tensor {
  return tape.record(OPS.add, [a, b], k.add(tape.ctx, a.value, b.value));
}

/** y = a·x[perm] + b per channel: a change of pixel convention (e.g. into the weights' own). */
export function channelAffine(tape: Tape, x: Tensor, affine: k.ChannelAffine): Tensor {
  return tape.record(OPS.channelAffine, [x], k.channelAffineForward(tape.ctx, x.value, affine), affine);
}

/** Σ weights[i]·terms[i] (terms with weight 0 are left out). */
export function weightedSum(tape: Tape, terms: ReadonlyArray<readonly [Tensor, number]>): Tensor {
  let total: Tensor | null = null;
  for (const [term, weight] of terms) {
    if (weight === 0) continue;
    const scaled = weight === 1 ? term : scale(tape, term, weight);
    total = total ? add(tape, total, scaled) : scaled;
  }
  if (!total) throw new Error('weightedSum: every term has weight 0');
  return total;
}
