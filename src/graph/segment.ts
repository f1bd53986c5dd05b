// One checkpointed segment of a tape (see tape.ts): the nodes recorded between beginSegment and
// endSegment, the values it drops at its end (all its nodes' outputs but those kept), and their
// recomputation from the segment's kept inputs when the backward walk needs them.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { reads, type TapeNode } from './tape-node.js';
import type { Tensor } from './tensor.js';

export class Segment {
  /** Values made by the segment's nodes and not kept: dropped at its end, made again by recompute(). */
  readonly dropped: readonly Tensor[];
  /** Whether its dropped values are resident again (recomputed, not yet evicted). */
  recomputed = false;
  readonly nodes: readonly TapeNode[];

  constructor(
    all: readonly TapeNode[],
    readonly start: number,
    end: number,
    keep: readonly Tensor[],
  ) {
    this.nodes = all.slice(start, end);
    const unrecomputable = this.nodes.find((n) => !n.forward);
    if (unrecomputable) throw new Error(`endSegment: ${unrecomputable.op.name} was recorded without its forward (use Tape.apply)`);
    const kept = new Set(keep);
    this.dropped = this.nodes.map((n) => n.output).filter((t) => !kept.has(t));
  }

  /** Drops (through `drop`) every value of the segment that is resident and not kept. */
  evict(drop: (t: Tensor) => void): void {
    for (const t of this.dropped) if (t.resident) drop(t);
    this.recomputed = false;
  }

  /**
   * Runs again, in their order, the segment's ops that make what the backward walk, now at node
   * `walk`, has still to read (and what those take): `own` takes each new value; one no backward
   * still to come reads is dropped once the last op taking it has run, as in the forward pass.
   */
  recompute(ctx: GpuContext, walk: number, own: (value: DeviceTensor) => void, drop: (t: Tensor) => void): void {
    const producer = new Map(this.nodes.map((n) => [n.output, n]));
    const wanted = new Set<Tensor>();
    const want = (t: Tensor) => {
      if (t.resident || wanted.has(t)) return;
      const node = producer.get(t);
      if (!node) throw new Error(`recomputing a segment: ${t.name || 'an input'} [${t.shape.join(',')}] was freed too early`);
      wanted.add(t);
      node.inputs.forEach(want);
    };
    const readLater = new Set<Tensor>();
    this.nodes.forEach((node, j) => {
      if (this.start + j > walk) return;
      for (const t of reads(node)) readLater.add(t);
    });
    for (const t of readLater) if (this.dropped.includes(t)) want(t);
    const runs = this.nodes.filter((n) => wanted.has(n.output));
    const lastUse = new Map<Tensor, TapeNode>();
    for (const n of runs) for (const t of n.inputs) lastUse.set(t, n);
    for (const node of runs) {
      const value = node.forward!(ctx);
      node.output.hold(value);
      own(value);
      for (const t of node.inputs) if (wanted.has(t) && lastUse.get(t) === node && !readLater.has(t)) drop(t);
    }
    this.recomputed = true;
  }
}
