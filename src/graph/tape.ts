// The tape: ops record themselves in execution order (a topological order), backward() walks it
// in reverse. The tape also owns every tensor its ops produced and releases them in dispose(),
// so a training step returns all its buffers to the pool. With { grad: false } nothing is
// recorded for backward (computing fixed targets); ownership still works.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { accumulate } from '../kernels/index.js';
import type { Op, Read } from './op.js';
import { Tensor } from './tensor.js';

/** A recorded op application; its backward has the forward's saved values bound in. */
export interface TapeNode {
  readonly op: { readonly name: string; readonly reads: readonly Read[] };
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  backward(ctx: GpuContext, dOut: DeviceTensor, needs: readonly boolean[]): Array<DeviceTensor | null>;
}

export class Tape {
  readonly recordsGrad: boolean;
  private readonly nodes: TapeNode[] = [];
  private readonly owned = new Set<DeviceTensor>();

  constructor(
    readonly ctx: GpuContext,
    options: { grad?: boolean } = {},
  ) {
    this.recordsGrad = options.grad ?? true;
  }

  /**
   * Wraps an op's fresh output; records the node when a gradient can flow through it. `saved` is
   * what the op's backward takes after its node (type-checked against the op's record).
   */
  record<Saved extends unknown[]>(op: Op<Saved>, inputs: readonly Tensor[], value: DeviceTensor, ...saved: NoInfer<Saved>): Tensor {
    this.owned.add(value);
    const requiresGrad = this.recordsGrad && inputs.some((t) => t.requiresGrad);
    const output = new Tensor(value, requiresGrad, op.name);
    if (requiresGrad) {
      const backward = (ctx: GpuContext, dOut: DeviceTensor, needs: readonly boolean[]) =>
        op.backward(ctx, { inputs, output, dOut, needs }, ...saved);
      this.nodes.push({ op, inputs, output, backward });
    }
    return output;
  }

  /**
   * Frees an intermediate value now if the tape owns it and no recorded backward reads it (each
   * op's `reads`, gradients.ts), e.g. a ReLU output already consumed by a convolution. Returns
   * whether it did. The caller promises not to use `t` in later ops; reading it afterwards throws.
   */
  releaseUnneeded(t: Tensor): boolean {
    if (!this.owned.has(t.value)) return false;
    for (const node of this.nodes) {
      const reads = node.op.reads;
      if ((reads.includes('output') && node.output === t) || (reads.includes('inputs') && node.inputs.includes(t))) return false;
    }
    this.owned.delete(t.value);
    t.value.release();
    return true;
  }

  /** Takes a tensor out of the tape's ownership: dispose() will not release it. */
  keep(t: Tensor): Tensor {
    this.owned.delete(t.value);
    return t;
  }

  /**
   * Gradients of the scalar `loss` with respect to `wrt` (leaves that require a gradient).
   * Only nodes on a path from a required tensor to the loss are differentiated. The returned
   * tensors belong to the caller; everything else the backward pass made is released.
   */
  backward(loss: Tensor, wrt: readonly Tensor[]): DeviceTensor[] {
    if (loss.value.size !== 1) throw new Error(`backward: the loss must hold one value, got shape [${loss.shape.join(',')}]`);
    if (!loss.requiresGrad) throw new Error('backward: the loss does not depend on any tensor that requires a gradient');
    const ctx = this.ctx;
    const grads = new Map<Tensor, DeviceTensor>();
    grads.set(loss, ctx.upload([1], [1], 'd loss'));
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i]!;
      const dOut = grads.get(node.output);
      if (!dOut) continue;
      grads.delete(node.output);
      const needs = node.inputs.map((t) => t.requiresGrad);
      const dInputs = node.backward(ctx, dOut, needs);
      dOut.release();
      node.inputs.forEach((input, k) => {
        const d = dInputs[k];
        if (!d) return;
        const existing = grads.get(input);
        if (existing) {
          accumulate(ctx, existing, d);
          d.release();
        } else grads.set(input, d);
      });
    }
    const result = wrt.map((t) => {
      const g = grads.get(t);
      if (g) {
        grads.delete(t);
        return g;
      }
      if (!t.requiresGrad) throw new Error(`backward: tensor ${t.name || `[${t.shape.join(',')}]`} does not require a gradient`);
      return ctx.zeros(t.shape, 'zero gradient');
    });
    for (const g of grads.values()) g.release();
    return result;
  }

  /** Releases every tensor the tape's ops produced (except those kept) and forgets the nodes. */
  dispose(): void {
    for (const value of this.owned) value.release();
    this.owned.clear();
    this.nodes.length = 0;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }
}
