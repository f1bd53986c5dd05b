// Differentiable ops: each hands the tape its forward kernel (run now, and again if checkpointing
// recomputes it) and what its backward needs. Their records (name, reads, backward) are in gradients.ts.

import type { DeviceTensor } from '../gpu/index.js';
import * as k from '../kernels/index.js';
import { OPS } from './gradients.js';
import type { Forward, Tape } from './tape.js';
import { Tensor } from './tensor.js';

export interface ConvWeights {
  weight: DeviceTensor;
  bias: DeviceTensor;
  /** flipConv3x3Weights(weight), made once when the weights are loaded. */
  flippedWeights: DeviceTensor;
}

export function conv3x3(tape: Tape, x: Tensor, w: ConvWeights): Tensor {
  return tape.apply(OPS.conv3x3, [x], (ctx, [v]) => k.conv3x3Forward(ctx, v!, w.weight, w.bias), w.flippedWeights);
}

/**
 * conv3x3(relu(x)) + bias in one kernel (the ReLU applied as x is loaded), so the ReLU's output is
 * never stored; its backward masks the input gradient by [x > 0] as it is stored.
 */
export function reluConv3x3(tape: Tape, x: Tensor, w: ConvWeights): Tensor {
  const forward: Forward = (ctx, [v]) => k.conv3x3Forward(ctx, v!, w.weight, w.bias, { reluInput: true });
  return tape.apply(OPS.reluConv3x3, [x], forward, w.flippedWeights);
}

export function relu(tape: Tape, x: Tensor): Tensor {
  return tape.apply(OPS.relu, [x], (ctx, [v]) => k.reluForward(ctx, v!));
}

export function maxPool(tape: Tape, x: Tensor): Tensor {
  return tape.apply(OPS.maxpool, [x], (ctx, [v]) => k.maxPool2x2Forward(ctx, v!));
}

export function avgPool(tape: Tape, x: Tensor): Tensor {
  return tape.apply(OPS.avgpool, [x], (ctx, [v]) => k.avgPool2x2Forward(ctx, v!));
}

export function gram(tape: Tape, x: Tensor): Tensor {
  return tape.apply(OPS.gram, [x], (ctx, [v]) => k.gramForward(ctx, v!));
}

export function mse(tape: Tape, a: Tensor, b: Tensor): Tensor {
  return tape.apply(OPS.mse, [a, b], (ctx, [va, vb]) => k.mseForward(ctx, va!, vb!));
}

export function totalVariation(tape: Tape, x: Tensor): Tensor {
  return tape.apply(OPS.tv, [x], (ctx, [v]) => k.tvForward(ctx, v!));
}

export function scale(tape: Tape, x: Tensor, factor: number): Tensor {
  return tape.apply(OPS.scale, [x], (ctx, [v]) => k.scale(ctx, v!, factor), factor);
}

export function add(tape: Tape, a: Tensor, b: Tensor): Tensor {
  return tape.apply(OPS.add, [a, b], (ctx, [va, vb]) => k.add(ctx, va!, vb!));
}

/** image(x + flow(x)), bilinear, clamped to the image (kernels/warp.ts); the flow is a constant. */
export function warp(tape: Tape, image: Tensor, flow: DeviceTensor): Tensor {
  return tape.apply(OPS.warp, [image], (ctx, [v]) => k.warpForward(ctx, v!, flow), flow);
}

/** Σ c·(x − target)² / x.size, one value (kernels/temporal_loss.ts); target and certainty are constants. */
export function temporalLoss(tape: Tape, x: Tensor, target: DeviceTensor, certainty: DeviceTensor): Tensor {
  const forward: Forward = (ctx, [v]) => k.temporalLossForward(ctx, v!, target, certainty);
  return tape.apply(OPS.temporalLoss, [x], forward, target, certainty);
}

/** x ⊙ w per pixel (or ⊙ √w with `root`), w [1, 1, H, W] a constant: a region's weights (kernels/mask_scale.ts). */
export function maskScale(tape: Tape, x: Tensor, weights: DeviceTensor, root = false): Tensor {
  return tape.apply(OPS.maskScale, [x], (ctx, [v]) => k.maskScale(ctx, v!, weights, { root }), weights, root);
}

/**
 * x matched channel by channel to the distributions of `table` (kernels/histogram.ts), as a constant:
 * made from x's value now, owned by the tape, with no gradient (Risser et al.'s target).
 */
export function histogramMatch(tape: Tape, x: Tensor, table: DeviceTensor): Tensor {
  const forward: Forward = (ctx, [v]) => {
    const of = k.histogramCdf(ctx, v!);
    const matched = k.histogramRemap(ctx, v!, of, table);
    k.releaseCdf(of);
    return matched;
  };
  return tape.apply(OPS.histogramMatch, [Tensor.leaf(x.value)], forward);
}

/**
 * α·op(A)·op(B) (+ β·D with `add`) + δ·I (kernels/matmul.ts; `o` without `add` or `shape`): the
 * W2 statistic's covariance and products.
 */
export function matmul(tape: Tape, a: Tensor, b: Tensor, o: k.MatmulOptions = {}, add?: { d: Tensor; beta: number }): Tensor {
  const inputs = add ? [a, b, add.d] : [a, b];
  const forward: Forward = (ctx, [va, vb, vd]) => k.matmul(ctx, va!, vb!, { ...o, add: vd && { d: vd, beta: add!.beta } });
  return tape.apply(OPS.matmul, inputs, forward, o, add?.beta ?? 0);
}

/** scale·trace(X) (+ offset[0], a constant one-value tensor), one value. */
export function trace(tape: Tape, x: Tensor, factor: number, offset?: DeviceTensor): Tensor {
  return tape.apply(OPS.trace, [x], (ctx, [v]) => k.matrixTrace(ctx, v!, factor, offset), factor);
}

/** √A by Newton–Schulz, its gradient by the coupled Lyapunov iteration (kernels/sqrtm.ts). */
export function sqrtm(tape: Tape, a: Tensor): Tensor {
  return tape.apply(OPS.sqrtm, [a], (ctx, [v]) => k.sqrtmForward(ctx, v!));
}

/**
 * factor·tr √A (A symmetric positive semi-definite) by Newton–Schulz, as trace(sqrtm(A)) gives it; its
 * gradient factor·½·A^(−1/2) comes from the same iteration (kernels/sqrtm.ts), no Lyapunov iteration.
 * Recorded with its value (Tape.record): not for a checkpointed segment.
 */
export function traceSqrtm(tape: Tape, a: Tensor, factor: number): Tensor {
  const { trace, gradient } = k.traceSqrtmForward(tape.ctx, a.value, factor, tape.recordsGrad && a.requiresGrad);
  if (!gradient) return tape.record(OPS.held, [], trace);
  return tape.record(OPS.traceSqrtm, [a], trace, tape.record(OPS.held, [], gradient).value);
}

/** Per-channel raw moments [orders, C] of one image's features, optionally weighted per pixel (kernels/moments.ts). */
export function moments(tape: Tape, x: Tensor, orders: k.MomentOrders, mask?: k.PixelWeights): Tensor {
  return tape.apply(OPS.moments, [x], (ctx, [v]) => k.momentsForward(ctx, v!, orders, mask), mask);
}

/** [μ, E[x²]] to [μ, σ] (kernels/moments.ts). */
export function momentsStd(tape: Tape, m: Tensor, eps: number): Tensor {
  return tape.apply(OPS.momentsStd, [m], (ctx, [v]) => k.momentsStd(ctx, v!, eps), eps);
}

/** y = a·x[perm] + b per channel: a change of pixel convention (e.g. into the weights' own). */
export function channelAffine(tape: Tape, x: Tensor, affine: k.ChannelAffine): Tensor {
  return tape.apply(OPS.channelAffine, [x], (ctx, [v]) => k.channelAffineForward(ctx, v!, affine), affine);
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
