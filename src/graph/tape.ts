// The tape: ops record themselves in execution order (a topological order), backward() walks it
// in reverse. The tape also owns every tensor its ops produced and releases them in dispose(),
// so a training step returns all its buffers to the pool. With { grad: false } nothing is
// recorded for backward (computing fixed targets); ownership still works.
//
// With { recompute: true } (checkpointing) the forward pass may be cut into segments: at a
// segment's end every value its ops made is dropped except those it keeps (its boundary: what
// later ops and the loss read), and when the backward walk first needs one of the dropped values
// the segment's ops run again from its kept inputs; once the walk has left the segment its values
// are dropped again. The backward runs the same kernels in the same order on the same values, so
// the gradients are bit for bit those without recomputation.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { accumulate } from '../kernels/index.js';
import { reads, type TapeNode } from './tape-node.js';
import type { Op } from './op.js';
import { Segment } from './segment.js';
import { Tensor } from './tensor.js';

/** An op's forward kernel: the inputs' device tensors in, a fresh output out. */
export type Forward = (ctx: GpuContext, inputs: readonly DeviceTensor[]) => DeviceTensor;

export interface TapeOptions {
  /** Record for backward (default true); false computes fixed targets. */
  grad?: boolean;
  /** Honour beginSegment/endSegment: drop segments' values and recompute them in backward (default false). */
  recompute?: boolean;
}

export class Tape {
  readonly recordsGrad: boolean;
  /** Whether segments are dropped and recomputed (see beginSegment). */
  readonly recomputes: boolean;
  private readonly nodes: TapeNode[] = [];
  private readonly owned = new Set<DeviceTensor>();
  private readonly segments: Segment[] = [];
  private openedAt: number | null = null;

  constructor(
    readonly ctx: GpuContext,
    options: TapeOptions = {},
  ) {
    this.recordsGrad = options.grad ?? true;
    this.recomputes = this.recordsGrad && (options.recompute ?? false);
  }

  /**
   * Runs an op's forward on its inputs' values and records it; the forward is kept to recompute
   * the output if a segment drops it. `saved` is what the op's backward takes after its node.
   */
  apply<Saved extends unknown[]>(op: Op<Saved>, inputs: readonly Tensor[], forward: Forward, ...saved: NoInfer<Saved>): Tensor {
    const run = (ctx: GpuContext) =>
      forward(
        ctx,
        inputs.map((t) => t.value),
      );
    return this.add(op, inputs, run(this.ctx), run, saved);
  }

  /**
   * Wraps an op's fresh output; records the node when a gradient can flow through it. `saved` is
   * what the op's backward takes after its node (type-checked against the op's record). A node
   * recorded this way cannot be recomputed: use apply inside segments.
   */
  record<Saved extends unknown[]>(op: Op<Saved>, inputs: readonly Tensor[], value: DeviceTensor, ...saved: NoInfer<Saved>): Tensor {
    return this.add(op, inputs, value, null, saved);
  }

  private add<Saved extends unknown[]>(
    op: Op<Saved>,
    inputs: readonly Tensor[],
    value: DeviceTensor,
    forward: TapeNode['forward'],
    saved: Saved,
  ): Tensor {
    this.owned.add(value);
    const requiresGrad = this.recordsGrad && inputs.some((t) => t.requiresGrad);
    const output = new Tensor(value, requiresGrad, op.name);
    if (requiresGrad) {
      const backward = (ctx: GpuContext, dOut: DeviceTensor, needs: readonly boolean[]) =>
        op.backward(ctx, { inputs, output, dOut, needs }, ...saved);
      this.nodes.push({ op, inputs, output, backward, forward });
    }
    return output;
  }

  /** Starts a segment (see the file's comment); does nothing unless the tape recomputes. */
  beginSegment(): void {
    if (!this.recomputes) return;
    if (this.openedAt !== null) throw new Error('beginSegment: a segment is already open');
    this.openedAt = this.nodes.length;
  }

  /**
   * Ends the open segment: drops every value its recorded ops made except `keep` (what later ops
   * or the loss use). Nothing happens unless the tape recomputes.
   */
  endSegment(keep: readonly Tensor[]): void {
    if (!this.recomputes) return;
    if (this.openedAt === null) throw new Error('endSegment: no segment is open');
    const segment = new Segment(this.nodes, this.openedAt, this.nodes.length, keep);
    this.openedAt = null;
    if (segment.dropped.length === 0) return;
    this.segments.push(segment);
    segment.evict((t) => this.drop(t));
  }

  /**
   * Frees an intermediate value now if the tape owns it and no recorded backward reads it (each
   * op's `reads`, gradients.ts), e.g. a ReLU output already consumed by a convolution. Returns
   * whether it did. The caller promises not to use `t` in later ops; reading it afterwards throws.
   */
  releaseUnneeded(t: Tensor): boolean {
    if (!this.owned.has(t.value) || !t.resident || this.readByBackward(t)) return false;
    this.drop(t);
    return true;
  }

  private readByBackward(t: Tensor): boolean {
    return this.nodes.some((node) => reads(node).includes(t));
  }

  private drop(t: Tensor): void {
    this.owned.delete(t.value);
    t.drop().release();
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
    if (this.openedAt !== null) throw new Error('backward: a segment is still open (call endSegment first)');
    const ctx = this.ctx;
    const grads = new Map<Tensor, DeviceTensor>();
    grads.set(loss, ctx.scalar(1, 'd loss'));
    const freeAfter = this.recomputes ? this.lastNeeds() : null;
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      this.leaveSegmentsAbove(i);
      for (const t of freeAfter?.get(i + 1) ?? []) if (t.resident && this.owned.has(t.value)) this.drop(t);
      const node = this.nodes[i]!;
      const dOut = grads.get(node.output);
      if (!dOut) continue;
      grads.delete(node.output);
      this.recomputeReadsOf(node, i);
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
    this.leaveSegmentsAbove(-1);
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

  /**
   * On a recomputing tape the walk also frees each forward value once it is past the last node
   * that needs it (a backward that reads it, or a segment to recompute that takes it): by node
   * index, the values to free once the walk has passed that node. Values no node needs go at once.
   */
  private lastNeeds(): Map<number, Tensor[]> {
    const need = new Map<Tensor, number>();
    const needs = (t: Tensor, i: number) => need.set(t, Math.min(need.get(t) ?? i, i));
    this.nodes.forEach((node, i) => reads(node).forEach((t) => needs(t, i)));
    for (const s of this.segments) for (const n of s.nodes) for (const t of n.inputs) needs(t, s.start);
    const byIndex = new Map<number, Tensor[]>();
    const at = (i: number, t: Tensor) => byIndex.set(i, [...(byIndex.get(i) ?? []), t]);
    for (const [t, i] of need) at(i, t);
    for (const { output } of this.nodes) if (!need.has(output)) at(this.nodes.length, output);
    return byIndex;
  }

  /** Makes every value the node's backward reads resident again, recomputing the segments that dropped them. */
  private recomputeReadsOf(node: TapeNode, index: number): void {
    for (const t of reads(node)) {
      if (t.resident) continue;
      const segment = this.segments.find((s) => s.dropped.includes(t));
      if (!segment) throw new Error(`backward: ${node.op.name} reads a value that was freed and cannot be recomputed`);
      segment.recompute(
        this.ctx,
        index,
        (value) => this.owned.add(value),
        (dropped) => this.drop(dropped),
      );
    }
  }

  /** Drops again the recomputed values of segments that start after node i (the walk is done with them). */
  private leaveSegmentsAbove(i: number): void {
    for (const s of this.segments) if (s.recomputed && s.start > i) s.evict((t) => this.drop(t));
  }

  /** Releases every tensor the tape's ops produced (except those kept) and forgets the nodes. */
  dispose(): void {
    for (const value of this.owned) value.release();
    this.owned.clear();
    this.nodes.length = 0;
    this.segments.length = 0;
    this.openedAt = null;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }
}
