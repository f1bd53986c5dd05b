// A model of the GPU memory of one style evaluation (the loss through VGG-19 and its gradient): the
// graph extract() and styleTransferLoss() build, replayed on byte counts (memory-replay.ts follows
// the tape: early frees, checkpointing's segments and recomputation, the backward's gradients).
// Bytes only, no GPU: the planner (memory-plan.ts) runs it before any work. Each op's buffers
// mirror its launcher in src/kernels/ — change one, change the other (test/memory-plan.test.ts
// compares the model with the pool's measured peak, with and without bindings capped). Past one
// binding an op runs band by band: its bands are sized by src/kernels/band.ts itself.

import type { GpuContext } from '../gpu/index.js';
import { fitsBinding, planRowBands, type BandTensor } from '../kernels/band.js';
import { convBands } from '../kernels/conv3x3.js';
import { reduceGroups, WINOGRAD_CACHE_TILES, WINOGRAD_SCRATCH_BYTES, winogradTiles } from '../kernels/index.js';
import { VGG19_FEATURES } from '../vgg/index.js';
import type { Pooling } from '../vgg/index.js';
import { bufferBytes, backward, Replay, type Value } from './memory-replay.js';

export { bufferBytes };

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
  /**
   * Convolutions may run by Winograd (an autotuned choice, unknown before autotuning): each then
   * takes up to WINOGRAD_SCRATCH_BYTES of scratch beside its output (the plan's default, the larger case).
   */
  winograd?: boolean;
  /**
   * Winograd convolutions keep their transformed weights where that pays (default true; the job
   * lets them only where the plan allows, and never during the targets' passes): where not, each
   * transforms them per call, beside its scratch.
   */
  keepsWinogradWeights?: boolean;
  /**
   * The adapter's maxStorageBufferBindingSize: ops over tensors larger than this run band by band
   * (src/kernels/band.ts), each band's copies live beside the op's output.
   */
  bindingBytes: number;
}

/**
 * The binding limit the plan assumes where the adapter is not known yet (planJob runs before the
 * device is there): WebGPU's default maxStorageBufferBindingSize, 128 MiB, which every adapter
 * offers. With the adapter's own limit (the edges pass it where the device is known) the band
 * scratch is exact: a larger limit makes bands larger, or none.
 */
export const DEFAULT_BINDING_BYTES = 2 ** 27;

/**
 * Scratch of a Winograd convolution of cin→cout channels over h×w (conv3x3_winograd.ts: input tiles
 * and products of one chunk, and the transformed weights where it does not keep them: over
 * WINOGRAD_CACHE_TILES tiles, or everywhere when `keepsWeights` is false), the larger of F(2×2) and
 * F(4×4).
 */
export function winogradScratchBytes(cin: number, cout: number, h: number, w: number, keepsWeights = true): number {
  return Math.max(
    ...([2, 4] as const).map((m) => {
      const points = (m + 2) ** 2;
      const tiles = winogradTiles(m, 1, h, w);
      const coutPad = Math.ceil(cout / 64) * 64;
      const bytesPerTile = points * (cin + coutPad) * 4;
      const chunk = Math.min(Math.ceil(tiles / 4) * 4, Math.max(64, Math.floor(WINOGRAD_SCRATCH_BYTES / bytesPerTile / 64) * 64));
      const weights = tiles > WINOGRAD_CACHE_TILES || !keepsWeights ? bufferBytes(points * cin * coutPad) : 0;
      return bufferBytes(points * cin * chunk) + bufferBytes(points * coutPad * chunk) + weights;
    }),
  );
}

/**
 * The transformed weights a step at h×w keeps (conv3x3_winograd.ts: each conv over at most
 * WINOGRAD_CACHE_TILES tiles, forward and input gradient), counted for F(4×4) and channels padded
 * to 64: the most any variant keeps. Layers up to module `upTo`.
 */
export function winogradCachedBytes(upTo: number, height: number, width: number): number {
  let [h, w, bytes] = [height, width, 0];
  for (const m of VGG19_FEATURES.slice(0, upTo + 1)) {
    if (m.kind === 'pool') [h, w] = [Math.floor(h / 2), Math.floor(w / 2)];
    else if (m.kind === 'conv' && winogradTiles(4, 1, h, w) <= WINOGRAD_CACHE_TILES) {
      const pad = (c: number) => Math.ceil(c / 64) * 64;
      bytes += bufferBytes(36 * m.cin * pad(m.cout)) + bufferBytes(36 * m.cout * pad(m.cin));
    }
  }
  return bytes;
}

const REDUCE_WG = 256;
const GRAM_CHUNK = 4096;

/** Scratch of a two-pass reduction over n values (src/kernels/reduce_sum.ts). */
function reduceScratch(n: number): number[] {
  const groups = reduceGroups(n, REDUCE_WG);
  return groups > 1 ? [bufferBytes(groups)] : [];
}

type Shape3 = [number, number, number];
const size = ([c, h, w]: Shape3) => c * h * w;

// The band scratch of ops over tensors larger than one binding, sized by band.ts's own rules
// (fitsBinding, planRowBands, convBands) and counted as the pool's live bytes: a band's copies are
// released before the next band's are made, so an op adds the largest band's, beside its output.
// (The pool keeps a released band's buffer for the next band of its size; the last, shorter band
// takes a new one. Those spare buffers are not live bytes; the job's memory limit trims them.)

/** band.ts reads only a context's binding limit; the model has the number. */
const withBinding = (bindingBytes: number) => ({ bindingBytes }) as GpuContext;
const nchw = ([c, h, w]: Shape3) => [1, c, h, w];
const rowCount = ([start, end]: [number, number]) => end - start;

/**
 * The most bytes one band of a 3×3 conv of x → cout channels adds (conv3x3.ts bandedConv): x's
 * rows with the halo, the mask's (an input gradient through a ReLU), the conv's output over those
 * rows, and Winograd's scratch at the band's shape. Unbanded: Winograd's scratch alone.
 */
function convScratch(x: Shape3, cout: number, masked: boolean, net: Net): number[] {
  const [cin, h, w] = x;
  const ctx = withBinding(net.bindingBytes);
  const winograd = (rows: number) => (net.winograd ? winogradScratchBytes(cin, cout, rows, w, net.keepsWinogradWeights ?? true) : 0);
  if (fitsBinding(ctx, nchw(x), nchw([cout, h, w]))) return [winograd(h)].filter(Boolean);
  const band = (rows: number) => bufferBytes(cin * rows * w) + (masked ? 2 : 1) * bufferBytes(cout * rows * w) + winograd(rows);
  return [Math.max(...convBands(ctx, nchw(x), cout).map((b) => band(rowCount(b.rows[0]!))))];
}

/**
 * A 2×2 pool's band scratch (launch.ts pool2x2Forward / pool2x2Backward): forward, x's rows and
 * the pooled band; backward, dy's rows, x's (max-pool reads it) and the band's dx.
 */
function poolScratch(x: Shape3, max: boolean, bindingBytes: number): { forward: number[]; backward: number[] } {
  const [c, h, w] = x;
  const out: Shape3 = [c, Math.floor(h / 2), Math.floor(w / 2)];
  const ctx = withBinding(bindingBytes);
  const banded = (tensors: BandTensor[], bytes: (rows: Array<[number, number]>) => number) =>
    out[1] > 0 && !fitsBinding(ctx, ...tensors.map((t) => t.t))
      ? [Math.max(...planRowBands(ctx, 'pool', out[1], tensors).map((b) => bytes(b.rows)))]
      : [];
  const forward = banded([{ t: nchw(x), stride: 2 }, { t: nchw(out) }], ([xRows]) => {
    const rows = rowCount(xRows!);
    return bufferBytes(c * rows * w) + bufferBytes(c * Math.floor(rows / 2) * out[2]);
  });
  const backward = banded([{ t: nchw(out) }, { t: nchw(x), stride: 2 }], ([dyRows, xRows]) => {
    const rows = rowCount(xRows!);
    return bufferBytes(c * rowCount(dyRows!) * out[2]) + (max ? 2 : 1) * bufferBytes(c * rows * w);
  });
  return { forward, backward };
}

/**
 * A Gram matrix's scratch (gram.ts): the subgroup kernel's partial sums; past one binding, per band
 * of rows also the band's copy and (after the first band, whose Gram is the output) its partial
 * Gram. Backward: the symmetrised dG (subgroups); banded, also x's rows and the band's dx.
 */
function gramScratch(x: Shape3, subgroups: boolean, bindingBytes: number): { forward: number[]; backward: number[] } {
  const [c, h, w] = x;
  const partials = (rows: number) => {
    const splits = Math.ceil((rows * w) / GRAM_CHUNK);
    return subgroups && splits > 1 ? bufferBytes(splits * c * c) : 0;
  };
  const symmetrised = subgroups ? bufferBytes(c * c) : 0;
  const ctx = withBinding(bindingBytes);
  if (fitsBinding(ctx, nchw(x))) return { forward: [partials(h)].filter(Boolean), backward: [symmetrised].filter(Boolean) };
  const bands = planRowBands(ctx, 'gram', h, [{ t: nchw(x) }]).map((b) => rowCount(b.rows[0]!));
  const forward = bands.map((rows, i) => bufferBytes(c * rows * w) + (i > 0 ? bufferBytes(c * c) : 0) + partials(rows));
  const backward = bands.map((rows) => 2 * bufferBytes(c * rows * w) + symmetrised);
  return { forward: [Math.max(...forward)], backward: [Math.max(...backward)] };
}

/** What the network's ops need to know of the model to size their buffers. */
type Net = Pick<StepModel, 'pooling' | 'subgroups' | 'winograd' | 'keepsWinogradWeights' | 'bindingBytes'>;

/** VGG features of `input` at `layers` (Vgg19.extract, with its ReLU fusion, early freeing and segments). */
function extract(r: Replay, input: Value, shape: Shape3, layers: readonly number[], net: Net): Map<number, [Value, Shape3]> {
  const { pooling, bindingBytes } = net;
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
      const scratch = poolScratch(s, pooling === 'max', bindingBytes);
      step(
        r.op(pooling === 'max' ? 'maxpool' : 'avgpool', [x], size(pooled), pooling === 'max', scratch.forward, scratch.backward),
        pooled,
      );
      if (wanted.has(m.index)) materialize();
    } else {
      const out: Shape3 = [m.cout, s[1], s[2]];
      const forward = convScratch(s, m.cout, false, net);
      const backward = convScratch(out, s[0], pending, net);
      step(r.op(pending ? 'reluConv3x3' : 'conv3x3', [x], size(out), pending, forward, backward), out);
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
  const features = layers.length ? extract(r, input, imageShape, layers, m) : new Map<number, [Value, Shape3]>();
  const target = (values: number) => r.leaf(bufferBytes(values), false);
  const mse = (a: Value, n: number) => r.op('mse', [a, target(n)], 1, true, reduceScratch(n));
  const terms: Array<[Value, boolean]> = [];
  if (m.contentWeight) {
    const content = m.contentLayers.map((l) => [mse(features.get(l)![0], size(features.get(l)![1])), m.normalized] as [Value, boolean]);
    terms.push([weightedSum(r, content), m.contentWeight !== 1]);
  }
  if (m.styleWeight) {
    const style = m.styleLayers.map((l) => {
      const [f, shape] = features.get(l)!;
      const c = shape[0];
      const scratch = gramScratch(shape, m.subgroups, m.bindingBytes);
      const gram = r.op('gram', [f], c * c, true, scratch.forward, scratch.backward);
      return [mse(gram, c * c), m.normalized] as [Value, boolean];
    });
    terms.push([weightedSum(r, style), m.styleWeight !== 1]);
  }
  if (m.tvWeight) terms.push([r.op('tv', [image], 1, true, reduceScratch(size(imageShape))), m.tvWeight !== 1]);
  weightedSum(r, terms);
  r.memory.alloc(SCALAR); // the reported losses (ScaleRun's collect), kept past the backward
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
  m: Net & Pick<StepModel, 'convertsInput'>,
): number {
  const r = new Replay(false);
  const shape: Shape3 = [3, height, width];
  const image = r.leaf(bufferBytes(size(shape)), false);
  const input = m.convertsInput ? r.op('channelAffine', [image], size(shape), false) : image;
  const features = extract(r, input, shape, layers, m);
  if (grams) {
    for (const [, [, feature]] of features) {
      const c = feature[0];
      r.op('gram', [], c * c, false, gramScratch(feature, m.subgroups, m.bindingBytes).forward);
      r.op('scale', [], c * c, false);
    }
  }
  return r.memory.peak;
}
