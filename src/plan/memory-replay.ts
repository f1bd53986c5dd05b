// The tape's buffers replayed on byte counts (src/graph/tape.ts and segment.ts, step for step):
// values made and freed, segments dropped at their end and recomputed in the backward walk, the
// gradients the walk makes, accumulates and frees. memory-model.ts builds the graph on it.

/** Bytes the pool hands out for a tensor of `values` floats (src/gpu/pool.ts rounds up to 16). */
export const bufferBytes = (values: number): number => Math.ceil(Math.max(values * 4, 16) / 16) * 16;

export interface Value {
  bytes: number;
  resident: boolean;
  requiresGrad: boolean;
  owned: boolean;
}

interface Node {
  name: string;
  inputs: Value[];
  output: Value;
  readsInputs: boolean;
  /** Scratch the forward allocates after its output and frees before it returns. */
  scratch: number[];
  /** Per input: the gradient's bytes and the backward's scratch (null: no gradient to that input). */
  grads: Array<{ bytes: number; scratch: number[] } | null>;
}

/** Live bytes and their high-water mark. */
class Memory {
  live = 0;
  peak = 0;
  alloc(bytes: number): void {
    this.live += bytes;
    this.peak = Math.max(this.peak, this.live);
  }
  free(bytes: number): void {
    this.live -= bytes;
  }
}

/** The graph of one evaluation as the tape holds it, replayed on byte counts. */
export class Replay {
  readonly memory = new Memory();
  readonly nodes: Node[] = [];
  readonly segments: Array<{ start: number; end: number; dropped: Value[]; recomputed: boolean }> = [];
  private openedAt: number | null = null;

  constructor(readonly recompute: boolean) {}

  value(bytes: number, requiresGrad: boolean): Value {
    this.memory.alloc(bytes);
    return { bytes, resident: true, requiresGrad, owned: true };
  }

  leaf(bytes: number, requiresGrad: boolean): Value {
    return { bytes, resident: true, requiresGrad, owned: false };
  }

  op(name: string, inputs: Value[], outValues: number, readsInputs: boolean, scratch: number[] = [], gradScratch: number[] = []): Value {
    const output = this.value(
      bufferBytes(outValues),
      inputs.some((t) => t.requiresGrad),
    );
    for (const s of scratch) this.memory.alloc(s);
    for (const s of scratch) this.memory.free(s);
    if (output.requiresGrad) {
      const grads = inputs.map((t) => (t.requiresGrad ? { bytes: t.bytes, scratch: gradScratch } : null));
      this.nodes.push({ name, inputs, output, readsInputs, scratch, grads });
    }
    return output;
  }

  readBy(t: Value): boolean {
    return this.nodes.some((n) => n.readsInputs && n.inputs.includes(t));
  }

  releaseUnneeded(t: Value): void {
    if (t.owned && t.resident && !this.readBy(t)) this.drop(t);
  }

  drop(t: Value): void {
    t.resident = false;
    this.memory.free(t.bytes);
  }

  beginSegment(): void {
    if (this.recompute) this.openedAt = this.nodes.length;
  }

  endSegment(keep: Value[]): void {
    if (!this.recompute || this.openedAt === null) return;
    const start = this.openedAt;
    const dropped = this.nodes
      .slice(start)
      .map((n) => n.output)
      .filter((t) => !keep.includes(t));
    this.openedAt = null;
    if (dropped.length === 0) return;
    this.segments.push({ start, end: this.nodes.length, dropped, recomputed: false });
    for (const t of dropped) if (t.resident) this.drop(t);
  }
}

const SCALAR = bufferBytes(1);

/** The backward walk (Tape.backward), with checkpointing's recomputation and frees. */
export function backward(r: Replay): void {
  const { memory, nodes } = r;
  const grads = new Map<Value, number>();
  memory.alloc(SCALAR); // d loss
  grads.set(nodes.at(-1)!.output, SCALAR);
  const freeAfter = new Map<number, Value[]>();
  if (r.recompute) {
    const need = new Map<Value, number>();
    const needs = (t: Value, i: number) => need.set(t, Math.min(need.get(t) ?? i, i));
    nodes.forEach((n, i) => n.readsInputs && n.inputs.forEach((t) => needs(t, i)));
    for (const s of r.segments) for (const n of nodes.slice(s.start, s.end)) n.inputs.forEach((t) => needs(t, s.start));
    const at = (i: number, t: Value) => freeAfter.set(i, [...(freeAfter.get(i) ?? []), t]);
    for (const [t, i] of need) at(i, t);
    for (const n of nodes) if (!need.has(n.output)) at(nodes.length, n.output);
  }
  for (let i = nodes.length - 1; i >= 0; i--) {
    for (const s of r.segments) if (s.recomputed && s.start > i) evict(r, s);
    for (const t of freeAfter.get(i + 1) ?? []) if (t.resident && t.owned) r.drop(t);
    const node = nodes[i]!;
    const dOut = grads.get(node.output);
    if (dOut === undefined) continue;
    grads.delete(node.output);
    if (node.readsInputs)
      for (const t of node.inputs)
        if (!t.resident)
          recompute(
            r,
            r.segments.find((s) => s.dropped.includes(t))!,
            i,
          );
    const made = node.grads.map((g) => {
      if (!g) return null;
      memory.alloc(g.bytes);
      for (const s of g.scratch) memory.alloc(s);
      for (const s of g.scratch) memory.free(s);
      return g.bytes;
    });
    memory.free(dOut);
    node.inputs.forEach((input, k) => {
      const d = made[k];
      if (d === null || d === undefined) return;
      if (grads.has(input)) memory.free(d);
      else grads.set(input, d);
    });
  }
  for (const s of r.segments) if (s.recomputed) evict(r, s);
  // The image's gradient stays (the optimiser's); the other leaves' gradients are freed.
  for (const [t, bytes] of grads) if (t.owned) memory.free(bytes);
}

function evict(r: Replay, s: Replay['segments'][number]): void {
  for (const t of s.dropped) if (t.resident) r.drop(t);
  s.recomputed = false;
}

/** Segment.recompute: the ops making what the walk (at node `walk`) still reads, in order. */
function recompute(r: Replay, s: Replay['segments'][number], walk: number): void {
  const nodes = r.nodes.slice(s.start, s.end);
  const producer = new Map(nodes.map((n) => [n.output, n]));
  const wanted = new Set<Value>();
  const want = (t: Value) => {
    if (t.resident || wanted.has(t)) return;
    wanted.add(t);
    producer.get(t)!.inputs.forEach(want);
  };
  const readLater = new Set(nodes.filter((n, j) => s.start + j <= walk && n.readsInputs).flatMap((n) => n.inputs));
  for (const t of readLater) if (s.dropped.includes(t)) want(t);
  const runs = nodes.filter((n) => wanted.has(n.output));
  const lastUse = new Map<Value, Node>();
  for (const n of runs) for (const t of n.inputs) lastUse.set(t, n);
  for (const n of runs) {
    n.output.resident = true;
    r.memory.alloc(n.output.bytes);
    for (const x of n.scratch) r.memory.alloc(x);
    for (const x of n.scratch) r.memory.free(x);
    for (const t of n.inputs) if (wanted.has(t) && lastUse.get(t) === n && !readLater.has(t)) r.drop(t);
  }
  s.recomputed = true;
}
