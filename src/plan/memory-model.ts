// The GPU memory of a scale's graph, counted by running the job's own code on a counting device
// (src/gpu/counting.ts: nothing allocated or dispatched, the context's pool counts every buffer's
// bytes and lifetime): Vgg19.load, computeTargets and ScaleRun's own evaluation (lossAndGradient:
// styleTransferLoss through StyleNetwork and Vgg19.extract, the reported losses, then the tape's
// backward, with its checkpointed segments when it recomputes). Every launcher's buffers, bands
// and scratch are its own: nothing here describes an op. What the plan cannot know before the device is there is set
// to its larger case: the binding limit, subgroups, the weights' convention, and whether the
// autotuner picks Winograd for a convolution (then each Winograd tile size runs every convolution
// in turn, forced through the context's tuning: countEach).

import { countingContext } from '../gpu/counting.js';
import type { GpuContext } from '../gpu/index.js';
import { Tensor } from '../graph/index.js';
import { convVariantsFor, limitWinogradCache, lossWatch, tuningFor, winogradCacheBytes, type ConvVariant } from '../kernels/index.js';
import { lossNormalizers } from '../style/convention.js';
import { computeTargets, deepestLayer, releaseTargets, type LossConfig, type Targets } from '../style/loss.js';
import { StyleNetwork } from '../style/network.js';
import { lossAndGradient } from '../style/scale-run.js';
import { CAFFE_INPUT, expectedTensors, featureShape, TORCHVISION_INPUT, Vgg19, type Pooling, type VggWeights } from '../vgg/index.js';

/**
 * The binding limit the plan assumes where the adapter is not known yet (planJob runs before the
 * device is there): WebGPU's default maxStorageBufferBindingSize, 128 MiB, which every adapter
 * offers. With the adapter's own limit (the edges pass it where the device is known) the band
 * scratch is exact: a larger limit makes bands larger, or none.
 */
export const DEFAULT_BINDING_BYTES = 2 ** 27;

/** What decides a scale's graph and its kernels' paths. */
export interface CountedJob {
  width: number;
  height: number;
  /** The style images' sizes at this scale. */
  styles: ReadonlyArray<{ width: number; height: number }>;
  loss: LossConfig;
  pooling: Pooling;
  /** The weights need a channel affine in front of conv1_1 (Caffe/Keras weights; not torchvision's). */
  convertsInput: boolean;
  /** The adapter has subgroups of >= 8 (the subgroup kernels, and their scratch). */
  subgroups: boolean;
  /** Convolutions may run by Winograd (an autotuned choice): its scratch and transformed weights count. */
  winograd: boolean;
  bindingBytes: number;
  /** A video frame's temporal term: how many earlier outputs it compares with (0: none, a still image). */
  temporalTerms: number;
  /** --style-mask: the regions (one per style image; 0: none, the styles blended). */
  styleMaskCount: number;
}

export interface CountedScale {
  /** The VGG weights: each conv's weights, their flipped copy and the bias. */
  weightBytes: number;
  /** The most bytes computeTargets holds at once, beyond its input images. */
  targetsPeakBytes: number;
  /** What it leaves: the content features and the style Grams. */
  targetBytes: number;
  /** The most bytes one evaluation holds at once beyond the weights, targets and image; its gradient, and a video frame's temporal targets and certainties, included. */
  evaluationPeakBytes: number;
  /** Winograd's transformed weights the evaluations keep (counted in evaluationPeakBytes). */
  winogradCacheBytes: number;
}

/** Weights of the right shapes and no values: the counting device reads only their length. */
function shapeOnlyWeights(upTo: number, convertsInput: boolean): VggWeights {
  const values = (n: number) => ({ length: n }) as unknown as Float32Array;
  const tensors = new Map(expectedTensors(upTo).map(({ name, shape }) => [name, { shape, data: values(shape.reduce((a, b) => a * b)) }]));
  return { architecture: 'vgg19', tensors, input: convertsInput ? CAFFE_INPUT : TORCHVISION_INPUT, provenance: {} };
}

/** The network on a fresh counting context, and the bytes of its weights. */
function load(job: Pick<CountedJob, 'bindingBytes' | 'subgroups' | 'convertsInput' | 'pooling'>, upTo: number) {
  const ctx = countingContext({ bindingBytes: job.bindingBytes, subgroups: job.subgroups });
  const net = new StyleNetwork(Vgg19.load(ctx, shapeOnlyWeights(upTo, job.convertsInput), { upTo, pooling: job.pooling }));
  return { ctx, net, weightBytes: ctx.memory().liveBytes };
}

/** The VGG weights on the device up to module `upTo`, as Vgg19.load makes them. */
export function countWeightBytes(upTo: number): number {
  return load({ bindingBytes: DEFAULT_BINDING_BYTES, subgroups: false, convertsInput: false, pooling: 'max' }, upTo).weightBytes;
}

/**
 * The variants to count where the autotuner may pick Winograd: one per tile size and GEMM layout
 * (the one padding most: channels, or tiles where transposed), the largest tile first (its
 * transformed weights are the most a convolution keeps). Each convolution may get any; their
 * scratch differs with the tile size and the padding.
 */
function winogradVariants(ctx: GpuContext): string[] {
  const byKind = new Map<string, ConvVariant>();
  for (const v of convVariantsFor(ctx)) {
    const kind = /wino(\dT?)-/.exec(v.name)?.[1];
    if (kind && v.coBlock > (byKind.get(kind)?.coBlock ?? 0)) byKind.set(kind, v);
  }
  return [...byKind.entries()].sort(([a], [b]) => Number(b[0]) - Number(a[0]) || a.length - b.length).map(([, v]) => v.name);
}

/**
 * A scale's graph counted on the counting device. With Winograd, each of `winogradVariants` in turn
 * runs every convolution (the context's tuning forced to it), in one context, and the peaks are
 * the most any held: the first keeps its transformed weights (where `keepsWinogradWeights`) and the
 * others run with those held and keep none, so each convolution's larger scratch meets the most
 * kept weights, as an autotuner's mixed choices could make them.
 */
function countEach(job: CountedJob, recompute: boolean, keepsWinogradWeights: boolean): CountedScale {
  const { ctx, net, weightBytes } = load(job, deepestLayer(job.loss));
  const variants: Array<string | undefined> = job.winograd ? winogradVariants(ctx) : [undefined];
  const tuning = tuningFor(ctx);
  const force = (variant: string | undefined) => {
    if (variant) tuning.get = () => variant;
  };
  // The loss as the job sets it (job.ts): terms normalised by the convention's input scale.
  const image = (size: { width: number; height: number }) => ctx.empty([1, 3, size.height, size.width]);
  // With style masks, each region's mask at each style layer (held through the scale), and a target set per style.
  const styleMasks = Array.from({ length: job.styleMaskCount }, () => ({
    weight: 1,
    layers: new Map(
      job.loss.styleLayers.map((l) => [l, { weights: ctx.empty([1, 1, ...featureShape(l, job.height, job.width).slice(1)]), mean: 1 }]),
    ),
  }));
  const loss: LossConfig = { ...job.loss, ...lossNormalizers(net.inputScale), ...(job.styleMaskCount ? { styleMasks } : {}) };
  // The targets, once per variant: no transformed weights kept during their single passes (as the job limits them).
  limitWinogradCache(ctx, 0);
  const [content, styles] = [image(job), job.styles.map(image)];
  const before = ctx.memory().liveBytes;
  ctx.resetMemoryPeak();
  let targets: Targets | null = null;
  for (const variant of variants) {
    force(variant);
    if (targets) releaseTargets(targets);
    targets = computeTargets(ctx, net, content, styles, loss);
  }
  const targetsPeakBytes = ctx.memory().peakLiveBytes - before;
  const targetBytes = ctx.memory().liveBytes - before;
  for (const t of [content, ...styles]) t.release();
  // Evaluations by ScaleRun's own code.
  const leaf = Tensor.leaf(image(job), true, 'image');
  const start = ctx.memory().liveBytes;
  ctx.resetMemoryPeak();
  // A video frame's starting image (the video job holds it through the run, which starts from a
  // copy), and its temporal targets and certainties, held through the scale.
  if (job.temporalTerms) image(job);
  const temporal: LossConfig['temporal'] = job.temporalTerms
    ? {
        weight: 1,
        terms: Array.from({ length: job.temporalTerms }, () => ({
          target: image(job),
          certainty: ctx.empty([1, 1, job.height, job.width]),
        })),
      }
    : undefined;
  const watch = lossWatch(ctx); // ScaleRun's divergence record, kept through its evaluations
  const evaluate = () => {
    const { grad, losses } = lossAndGradient({ ctx, net, targets: targets!, loss: { ...loss, temporal }, recompute }, leaf, watch, 1);
    for (const t of [grad, losses]) t.release();
  };
  variants.forEach((variant, i) => {
    force(variant);
    limitWinogradCache(ctx, !keepsWinogradWeights ? 0 : i === 0 ? Infinity : winogradCacheBytes(ctx));
    evaluate();
    // Kept weights are made during the first evaluation; a second holds them throughout, as every later step does.
    if (i === 0 && winogradCacheBytes(ctx) > 0) evaluate();
  });
  const evaluationPeakBytes = ctx.memory().peakLiveBytes - start;
  return { weightBytes, targetsPeakBytes, targetBytes, evaluationPeakBytes, winogradCacheBytes: winogradCacheBytes(ctx) };
}

/**
 * A scale's graph counted on the counting device (countEach), remembered for the calls to come.
 * `keepsWinogradWeights`: the evaluations keep the transformed weights that pay.
 */
export function countScale(job: CountedJob, recompute: boolean, keepsWinogradWeights: boolean): CountedScale {
  const key = JSON.stringify([job, recompute, keepsWinogradWeights]);
  let counts = recent.get(key);
  // Evaluations free to keep Winograd's weights that kept none ran as those that may not: the same count.
  const keeping = recent.get(JSON.stringify([job, recompute, true]));
  if (!counts && !keepsWinogradWeights && keeping?.winogradCacheBytes === 0) counts = keeping;
  if (!counts) {
    counts = countEach(job, recompute, keepsWinogradWeights);
    if (recent.size >= RECENT) recent.delete(recent.keys().next().value!);
    recent.set(key, counts);
  }
  return counts;
}

/** Counts made lately, by job: a plan asks for the same scale again (the edge plans before and after the device, L-BFGS's history is fitted). */
const recent = new Map<string, CountedScale>();
const RECENT = 256;
