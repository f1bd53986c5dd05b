// A node of the tape: one op applied to its inputs, with its backward (the forward's saved values
// bound in) and, for checkpointing, its forward kept to make the output again. The tape (tape.ts)
// records nodes; a checkpointed segment (segment.ts) recomputes them.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import type { Read } from './op.js';
import type { Tensor } from './tensor.js';

/** A recorded op application; its backward has the forward's saved values bound in. */
export interface TapeNode {
  readonly op: { readonly name: string; readonly reads: readonly Read[] };
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  backward(ctx: GpuContext, dOut: DeviceTensor, needs: readonly boolean[]): Array<DeviceTensor | null>;
  /** Makes the output's value again from the inputs' (null when recorded without its forward: not recomputable). */
  readonly forward: ((ctx: GpuContext) => DeviceTensor) | null;
}

/** The values a node's backward reads (its op's `reads`). */
export function reads({ op, inputs, output }: TapeNode): Tensor[] {
  return [...(op.reads.includes('inputs') ? inputs : []), ...(op.reads.includes('output') ? [output] : [])];
}
