// The gradient table: for each op, a function of its node and output gradient that returns the
// gradient of each input (null where none is needed). Every backward lives here, in one place.
// A backward must return fresh tensors: the tape releases dOut and accumulates what it returns.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import {
  avgPool2x2Backward,
  channelAffineBackward,
  type ChannelAffine,
  conv3x3InputGrad,
  gramBackward,
  maxPool2x2Backward,
  mseBackward,
  reluBackward,
  scale,
  tvBackward,
} from '../kernels/index.js';
import type { TapeNode } from './tape.js';

export type OpName = 'conv3x3' | 'reluConv3x3' | 'relu' | 'maxpool' | 'avgpool' | 'gram' | 'mse' | 'tv' | 'scale' | 'add' | 'channelAffine';

export type Backward = (ctx: GpuContext, node: TapeNode, dOut: DeviceTensor, needs: readonly boolean[]) => Array<DeviceTensor | null>;

const input = (node: TapeNode, i = 0): DeviceTensor => node.inputs[i]!.value;

/**
 * Which values each backward below reads: its inputs' and its output's (shapes aside). A value no
 * recorded backward reads can be freed once the forward pass is past it (Tape.releaseUnneeded).
 */
export const BACKWARD_READS: Record<OpName, { inputs: boolean; output: boolean }> = {
  conv3x3: { inputs: false, output: false },
  reluConv3x3: { inputs: true, output: false },
  relu: { inputs: true, output: false },
  maxpool: { inputs: true, output: false },
  avgpool: { inputs: false, output: false },
  gram: { inputs: true, output: false },
  mse: { inputs: true, output: false },
  tv: { inputs: true, output: false },
  scale: { inputs: false, output: false },
  add: { inputs: false, output: false },
  channelAffine: { inputs: false, output: false },
};

export const GRADIENTS: Record<OpName, Backward> = {
  conv3x3: (ctx, node, dOut) => [conv3x3InputGrad(ctx, dOut, node.saved.flippedWeights as DeviceTensor)],
  reluConv3x3: (ctx, node, dOut) => [conv3x3InputGrad(ctx, dOut, node.saved.flippedWeights as DeviceTensor, { mask: input(node) })],
  relu: (ctx, node, dOut) => [reluBackward(ctx, input(node), dOut)],
  maxpool: (ctx, node, dOut) => [maxPool2x2Backward(ctx, input(node), dOut)],
  avgpool: (ctx, node, dOut) => [avgPool2x2Backward(ctx, input(node), dOut)],
  gram: (ctx, node, dOut) => [gramBackward(ctx, input(node), dOut)],
  mse: (ctx, node, dOut, needs) => [
    needs[0] ? mseBackward(ctx, input(node, 0), input(node, 1), dOut, 'a') : null,
    needs[1] ? mseBackward(ctx, input(node, 0), input(node, 1), dOut, 'b') : null,
  ],
  tv: (ctx, node, dOut) => [tvBackward(ctx, input(node), dOut)],
  scale: (ctx, node, dOut) => [scale(ctx, dOut, node.saved.factor as number)],
  add: (ctx, node, dOut, needs) => needs.map((need) => (need ? ctx.copy(dOut, 'add gradient') : null)),
  channelAffine: (ctx, node, dOut) => [channelAffineBackward(ctx, dOut, node.saved.affine as ChannelAffine)],
};
