// The op table: one record per op, its name, what its backward reads, what its forward saves (the
// backward's parameters after `node`) and the backward itself, one short line each. Every
// backward lives here; the forwards, which record the saved values, are in ops.ts.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import {
  avgPool2x2Backward,
  channelAffineBackward,
  type ChannelAffine,
  conv3x3InputGrad,
  gramBackward,
  matmul,
  type MatmulOptions,
  matrixTraceBackward,
  momentsBackward,
  momentsStdBackward,
  type PixelWeights,
  sqrtmBackward,
  traceSqrtmBackward,
  maskScale,
  maxPool2x2Backward,
  mseBackward,
  reluBackward,
  scale,
  temporalLossBackward,
  tvBackward,
  warpBackward,
} from '../kernels/index.js';
import { type BackwardArgs, defineOp, opTable } from './op.js';

const input = (node: BackwardArgs, i = 0): DeviceTensor => node.inputs[i]!.value;

// reads: [] where the backward needs its node's shapes at most (a value no recorded backward reads
// can be freed once the forward pass is past it: Tape.releaseUnneeded).
export const OPS = opTable({
  conv3x3: defineOp({
    name: 'conv3x3',
    reads: [],
    backward: (ctx, node, flippedWeights: DeviceTensor) => [conv3x3InputGrad(ctx, node.dOut, flippedWeights)],
  }),
  reluConv3x3: defineOp({
    name: 'reluConv3x3',
    reads: ['inputs'], // the ReLU's mask
    backward: (ctx, node, flippedWeights: DeviceTensor) => [conv3x3InputGrad(ctx, node.dOut, flippedWeights, { mask: input(node) })],
  }),
  relu: defineOp({ name: 'relu', reads: ['inputs'], backward: (ctx, node) => [reluBackward(ctx, input(node), node.dOut)] }),
  maxpool: defineOp({ name: 'maxpool', reads: ['inputs'], backward: (ctx, node) => [maxPool2x2Backward(ctx, input(node), node.dOut)] }),
  avgpool: defineOp({ name: 'avgpool', reads: [], backward: (ctx, node) => [avgPool2x2Backward(ctx, input(node), node.dOut)] }),
  gram: defineOp({ name: 'gram', reads: ['inputs'], backward: (ctx, node) => [gramBackward(ctx, input(node), node.dOut)] }),
  mse: defineOp({
    name: 'mse',
    reads: ['inputs'],
    backward: (ctx, node) => [
      node.needs[0] ? mseBackward(ctx, input(node, 0), input(node, 1), node.dOut, 'a') : null,
      node.needs[1] ? mseBackward(ctx, input(node, 0), input(node, 1), node.dOut, 'b') : null,
    ],
  }),
  tv: defineOp({ name: 'tv', reads: ['inputs'], backward: (ctx, node) => [tvBackward(ctx, input(node), node.dOut)] }),
  scale: defineOp({ name: 'scale', reads: [], backward: (ctx, node, factor: number) => [scale(ctx, node.dOut, factor)] }),
  add: defineOp({
    name: 'add',
    reads: [],
    backward: (ctx, node) => node.needs.map((need) => (need ? ctx.copy(node.dOut, 'add gradient') : null)),
  }),
  warp: defineOp({ name: 'warp', reads: [], backward: (ctx, node, flow: DeviceTensor) => [warpBackward(ctx, flow, node.dOut)] }),
  temporalLoss: defineOp({
    name: 'temporalLoss',
    reads: ['inputs'],
    backward: (ctx, node, target: DeviceTensor, certainty: DeviceTensor) => [
      temporalLossBackward(ctx, input(node), target, certainty, node.dOut),
    ],
  }),
  maskScale: defineOp({
    name: 'maskScale',
    reads: [],
    backward: (ctx, node, weights: DeviceTensor, root: boolean) => [maskScale(ctx, node.dOut, weights, { root })],
  }),
  // Risser et al.'s remapped features are a constant target: no gradient flows through the matching.
  histogramMatch: defineOp({ name: 'histogramMatch', reads: [], backward: (_ctx, node) => node.needs.map(() => null) }),
  // out = α·op(A)·op(B) + β·D + δ·I (kernels/matmul.ts): each input's gradient is a product with dOut.
  matmul: defineOp({
    name: 'matmul',
    reads: ['inputs'],
    backward: (ctx, node, o: MatmulOptions, beta: number) => [
      node.needs[0] ? matmulGradA(ctx, node, o) : null,
      node.needs[1] ? matmulGradB(ctx, node, o) : null,
      ...(node.needs.length > 2 ? [node.needs[2] ? scale(ctx, node.dOut, beta) : null] : []),
    ],
  }),
  trace: defineOp({
    name: 'trace',
    reads: [],
    backward: (ctx, node, factor: number) => [matrixTraceBackward(ctx, input(node).shape, node.dOut, factor)],
  }),
  // The coupled Newton–Schulz iteration for √A·X + X·√A = dY, from the output √A (kernels/sqrtm.ts).
  sqrtm: defineOp({ name: 'sqrtm', reads: ['output'], backward: (ctx, node) => [sqrtmBackward(ctx, node.output.value, node.dOut)] }),
  // factor·tr √A: the forward's own factor·½·A^(−1/2) (Newton–Schulz's Z, kernels/sqrtm.ts) times dOut.
  traceSqrtm: defineOp({
    name: 'traceSqrtm',
    reads: [],
    backward: (ctx, node, gradient: DeviceTensor) => [traceSqrtmBackward(ctx, gradient, node.dOut)],
  }),
  // A value a backward reads that is no op's output (traceSqrtm's gradient): owned by the tape, no gradient.
  held: defineOp({ name: 'held', reads: [], backward: (_ctx, node) => node.needs.map(() => null) }),
  moments: defineOp({
    name: 'moments',
    reads: ['inputs'],
    backward: (ctx, node, mask: PixelWeights | undefined) => [momentsBackward(ctx, input(node), node.dOut, mask)],
  }),
  momentsStd: defineOp({
    name: 'momentsStd',
    reads: ['inputs'],
    backward: (ctx, node, eps: number) => [momentsStdBackward(ctx, input(node), node.dOut, eps)],
  }),
  channelAffine: defineOp({
    name: 'channelAffine',
    reads: [],
    backward: (ctx, node, affine: ChannelAffine) => [channelAffineBackward(ctx, node.dOut, affine)],
  }),
});

export type OpName = keyof typeof OPS;

/** d/dA of α·op(A)·op(B): α·dOut·op(B)ᵀ, or its transpose α·op(B)·dOutᵀ when A is transposed. */
function matmulGradA(ctx: GpuContext, node: BackwardArgs, o: MatmulOptions): DeviceTensor {
  const [a, b] = [input(node, 0), input(node, 1)];
  const alpha = o.alpha ?? 1;
  if (!o.transA) return matmul(ctx, node.dOut, b, { transB: !o.transB, alpha, shape: a.shape });
  return matmul(ctx, b, node.dOut, { transA: o.transB, transB: true, alpha, shape: a.shape });
}

/** d/dB of α·op(A)·op(B): α·op(A)ᵀ·dOut, or its transpose α·dOutᵀ·op(A) when B is transposed. */
function matmulGradB(ctx: GpuContext, node: BackwardArgs, o: MatmulOptions): DeviceTensor {
  const [a, b] = [input(node, 0), input(node, 1)];
  const alpha = o.alpha ?? 1;
  if (!o.transB) return matmul(ctx, a, node.dOut, { transA: !o.transA, alpha, shape: b.shape });
  return matmul(ctx, node.dOut, a, { transA: true, transB: o.transA, alpha, shape: b.shape });
}
