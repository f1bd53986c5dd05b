export { OPS, type OpName } from './gradients.js';
export type { Backward, BackwardArgs, Op } from './op.js';
export * as ops from './ops.js';
export type { ConvWeights } from './ops.js';
export type { TapeNode } from './tape-node.js';
export { Tape, type Forward, type TapeOptions } from './tape.js';
export { Tensor } from './tensor.js';
