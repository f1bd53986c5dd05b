// A model of the GPU memory of one style evaluation (the loss through VGG-19 and its gradient), by
// replaying what the tape does with each buffer (src/graph/tape.ts, segment.ts): the forward's
// outputs and kernel scratch, the early freeing of values no backward reads, checkpointing's
// dropped segments and their recomputation, and the backward's gradients, accumulation and frees.
// Bytes only, no GPU: the planner (memory-plan.ts) runs it before any work. Each op's buffers
// mirror its launcher in src/kernels/ — change one, change the other (test/memory-plan.test.ts
// compares the model with the pool's measured peak).

import { VGG19_FEATURES } from '../vgg/index.js';
import type { Pooling } from '../vgg/index.js';

/** Bytes the pool hands out for a tensor of `values` floats (src/gpu/pool.ts rounds up to 16). */
export const bufferBytes = (values: number): number => Math.ceil(Math.max(values * 4, 16) / 16) * 16;

/** What the evaluation's graph looks like. */
export interface StepModel {
  height: number;
  width: number;
  contentLayers: readonly number[];
  styleLayers: readonly number[];
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
  /** The weights need a channel affine in front of conv1_1 (Caffe/Keras weights; not torchvision's). */
  convertsInput: boolean;
  /** The content and style terms are scaled (a scale op each; false when the normaliser is 1). */
  normalized: boolean;
  pooling: Pooling;
  /** The adapter has subgroups of >= 8 (the Gram kernels then use scratch partial sums). */
  subgroups: boolean;
  /** Each VGG block a recomputed segment (Tape { recompute: true }). */
  recompute: boolean;
}

interface Value {
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

const REDUCE_WG = 256;
const GRAM_CHUNK = 4096;

/** Scratch of a two-pass reduction over n values (src/kernels/reduce_sum.ts). */
function reduceScratch(n: number): number[] {
  const groups = Math.max(1, Math.min(1024, Math.ceil(n / (REDUCE_WG * 4))));
  return groups > 1 ? [bufferBytes(groups)] : [];
}

/** The graph of one evaluation, built as extract() and styleTransferLoss() build it, replayed on byte counts. */
class Replay {
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

type Shape3 = [number, number, number];
const size = ([c, h, w]: Shape3) => c * h * w;

/** VGG features of `input` at `layers` (Vgg19.extract, with its ReLU fusion, early freeing and segments). */
function extract(r: Replay, input: Value, shape: Shape3, layers: readonly number[], pooling: Pooling): Map<number, [Value, Shape3]> {
  const wanted = new Set(layers);
  const deepest = Math.max(...layers);
  const outputs = new Map<number, [Value, Shape3]>();
  let [x, s] = [input, shape];
  const isOutput = (t: Value) => [...outputs.values()].some(([o]) => o === t);
  const step = (next: Value, nextShape: Shape3) => {
    if (x !== input && !isOutput(x)) r.releaseUnneeded(x);
    [x, s] = [next, nextShape];
  };
  let pending = false;
  const materialize = () => {
    if (pending) step(r.op('relu', [x], size(s), true), s);
    pending = false;
  };
  r.beginSegment();
  for (const m of VGG19_FEATURES.slice(0, deepest + 1)) {
    if (m.kind === 'relu') {
      pending = true;
      if (wanted.has(m.index)) materialize();
    } else if (m.kind === 'pool') {
      if (pooling === 'avg') materialize();
      const pooled: Shape3 = [s[0], Math.floor(s[1] / 2), Math.floor(s[2] / 2)];
      step(r.op(pooling === 'max' ? 'maxpool' : 'avgpool', [x], size(pooled), pooling === 'max'), pooled);
      if (wanted.has(m.index)) materialize();
    } else {
      const out: Shape3 = [m.cout, s[1], s[2]];
      step(r.op(pending ? 'reluConv3x3' : 'conv3x3', [x], size(out), pending), out);
      pending = false;
    }
    if (wanted.has(m.index)) outputs.set(m.index, [x, s]);
    if (m.kind === 'pool' || m.index === deepest) {
      r.endSegment([x, ...[...outputs.values()].map(([o]) => o)]);
      if (m.index !== deepest) r.beginSegment();
    }
  }
  return outputs;
}

const SCALAR = bufferBytes(1);

/** Σ weight·term as ops.weightedSum builds it. */
function weightedSum(r: Replay, terms: Array<[Value, boolean]>): Value {
  let total: Value | null = null;
  for (const [term, scaled] of terms) {
    const t = scaled ? r.op('scale', [term], 1, false) : term;
    total = total ? r.op('add', [total, t], 1, false) : t;
  }
  return total!;
}

/** The evaluation's forward (styleTransferLoss), leaving the nodes and segments in `r`. */
function forward(r: Replay, m: StepModel): void {
  const imageShape: Shape3 = [3, m.height, m.width];
  const image = r.leaf(bufferBytes(size(imageShape)), true);
  const layers = [...new Set([...(m.contentWeight ? m.contentLayers : []), ...(m.styleWeight ? m.styleLayers : [])])];
  const input = m.convertsInput ? r.op('channelAffine', [image], size(imageShape), false) : image;
  const features = layers.length ? extract(r, input, imageShape, layers, m.pooling) : new Map<number, [Value, Shape3]>();
  const target = (values: number) => r.leaf(bufferBytes(values), false);
  const mse = (a: Value, n: number) => r.op('mse', [a, target(n)], 1, true, reduceScratch(n));
  const terms: Array<[Value, boolean]> = [];
  if (m.contentWeight) {
    const content = m.contentLayers.map((l) => [mse(features.get(l)![0], size(features.get(l)![1])), m.normalized] as [Value, boolean]);
    terms.push([weightedSum(r, content), m.contentWeight !== 1]);
  }
  if (m.styleWeight) {
    const style = m.styleLayers.map((l) => {
      const [f, [c, h, w]] = features.get(l)!;
      const splits = Math.ceil((h * w) / GRAM_CHUNK);
      const gramScratch = m.subgroups && splits > 1 ? [bufferBytes(splits * c * c)] : [];
      const gram = r.op('gram', [f], c * c, true, gramScratch, m.subgroups ? [bufferBytes(c * c)] : []);
      return [mse(gram, c * c), m.normalized] as [Value, boolean];
    });
    terms.push([weightedSum(r, style), m.styleWeight !== 1]);
  }
  if (m.tvWeight) terms.push([r.op('tv', [image], 1, true, reduceScratch(size(imageShape))), m.tvWeight !== 1]);
  weightedSum(r, terms);
  r.memory.alloc(SCALAR); // the reported losses (ScaleRun's collect), kept past the backward
}

/** The backward walk (Tape.backward), with checkpointing's recomputation and frees. */
function backward(r: Replay): void {
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

/**
 * The most bytes one evaluation holds at once beyond what was live before it (weights, targets,
 * images, optimiser state), including the gradient it returns.
 */
export function evaluationPeakBytes(m: StepModel): number {
  const r = new Replay(m.recompute);
  forward(r, m);
  if (r.nodes.length > 0) backward(r);
  return r.memory.peak;
}

/**
 * The most bytes a forward pass without a gradient holds (computeTargets: a content or style
 * image's features at `layers`, Grams when `grams`), beyond what was live before.
 */
export function featuresPeakBytes(
  height: number,
  width: number,
  layers: readonly number[],
  grams: boolean,
  m: Pick<StepModel, 'pooling' | 'subgroups' | 'convertsInput'>,
): number {
  const r = new Replay(false);
  const shape: Shape3 = [3, height, width];
  const image = r.leaf(bufferBytes(size(shape)), false);
  const input = m.convertsInput ? r.op('channelAffine', [image], size(shape), false) : image;
  const features = extract(r, input, shape, layers, m.pooling);
  if (grams) {
    for (const [, [, [c, h, w]]] of features) {
      const splits = Math.ceil((h * w) / GRAM_CHUNK);
      r.op('gram', [], c * c, false, m.subgroups && splits > 1 ? [bufferBytes(splits * c * c)] : []);
      r.op('scale', [], c * c, false);
    }
  }
  return r.memory.peak;
}
