// What an op is to the tape: one typed record with its name, what its backward reads, what its
// forward saves for it and the backward itself (tinygrad's table entry with tfjs's inputsToSave
// beside it). The table of every op is in gradients.ts.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import type { Tensor } from './tensor.js';

/** Values a backward reads beyond shapes: its node's inputs', its node's output's. */
export type Read = 'inputs' | 'output';

/** What every backward is given about its node. */
export interface BackwardArgs {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  /** The gradient of the output; the tape releases it after the backward. */
  readonly dOut: DeviceTensor;
  /** Per input, whether a gradient flows to it (null may be returned where not). */
  readonly needs: readonly boolean[];
}

/**
 * The gradient of each input (null where none is needed), as fresh tensors: the tape accumulates
 * and releases them. `saved` is what the forward passed to Tape.record after the output.
 */
export type Backward<Saved extends unknown[]> = (ctx: GpuContext, node: BackwardArgs, ...saved: Saved) => Array<DeviceTensor | null>;

/** One op's entry in the table (gradients.ts); its forward, in ops.ts, records it with Tape.record. */
export interface Op<Saved extends unknown[] = [], Name extends string = string> {
  readonly name: Name;
  /** Tape.releaseUnneeded frees a value early only if no recorded backward reads it. */
  readonly reads: readonly Read[];
  readonly backward: Backward<Saved>;
}

/**
 * One op record. Its saved values are the types of the backward's parameters after `node`, so
 * Tape.record(op, inputs, output, ...saved) accepts exactly those and nothing else.
 */
export function defineOp<const Name extends string, Saved extends unknown[] = []>(op: Op<Saved, Name>): Op<Saved, Name> {
  return op;
}

/** The table of ops, checked to be keyed by each op's own name. */
export function opTable<T extends { [K in keyof T]: { readonly name: K } }>(table: T): T {
  return table;
}
