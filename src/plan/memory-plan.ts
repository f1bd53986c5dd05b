// The memory plan of a style job, made before any work: for each scale, the most GPU memory it
// holds at once (memory-model.ts's replay of an evaluation, plus the weights, images, targets and
// the optimiser's state), with and without checkpointing. A scale over the budget recomputes
// activations (each VGG block a segment); one over it even so stops the job with the largest
// size that fits (memory-messages.ts words it). WebGPU does not say how much memory a device has, so the budget is a setting
// (maxMemory, MiB) whose default the edge gives: 3/4 of the host's memory in Node (an integrated
// or software adapter shares it; a discrete GPU's own is usually smaller: set --max-memory), and
// 2 GiB in a browser tab. The adapter's limits, where the edge passes them (MemoryJob's
// bindingBytes and bufferBytes), size the band scratch of ops past one binding and bound the
// largest size (tensorOverLimit).

import { VGG19_CONVS, VGG19_FEATURES, type Pooling } from '../vgg/index.js';
import type { OptimizerPlan } from '../style/job-types.js';
import { lbfgsVectors } from '../optim/lbfgs-history.js';
import type { LossConfig } from '../style/loss.js';
import {
  bufferBytes,
  DEFAULT_BINDING_BYTES,
  evaluationPeakBytes,
  featuresPeakBytes,
  winogradCachedBytes,
  type StepModel,
} from './memory-model.js';
import type { Scale } from './schedule.js';

export const MiB = 2 ** 20;

/** The budget where the edge says nothing (a browser tab): 2 GiB. */
export const BROWSER_MAX_MEMORY_MIB = 2048;

/** The default budget in MiB: 3/4 of the host's memory when the edge knows it, else BROWSER_MAX_MEMORY_MIB. */
export function defaultMaxMemoryMiB(hostMemoryBytes?: number): number {
  return hostMemoryBytes ? Math.floor((0.75 * hostMemoryBytes) / MiB) : BROWSER_MAX_MEMORY_MIB;
}

/** What the plan needs to know of a job (a StyleOptions' fields, and what the weights and adapter will be). */
export interface MemoryJob {
  scales: readonly Scale[];
  loss: LossConfig;
  pooling: Pooling;
  optimizer?: OptimizerPlan;
  styleScale: number;
  /** Style images' sizes (default: one, the content's shape). */
  styles?: ReadonlyArray<{ width: number; height: number }>;
  /** Unknown before the weights and the device are there, so assumed (the larger case) unless given. */
  convertsInput?: boolean;
  subgroups?: boolean;
  /** Convolutions may run by Winograd (the autotuner may choose it): its scratch and transformed weights (default true). */
  winograd?: boolean;
  /**
   * The adapter's maxStorageBufferBindingSize, where the edge knows it: it sizes the band scratch
   * of ops over larger tensors (default DEFAULT_BINDING_BYTES, WebGPU's default), and, when given,
   * bounds the image where a kernel binds it whole (tensorOverLimit).
   */
  bindingBytes?: number;
  /** The adapter's maxBufferSize, where the edge knows it: it bounds the largest activation. */
  bufferBytes?: number;
}

export interface ScaleMemory {
  width: number;
  height: number;
  /** Most bytes live at once without checkpointing, and with it. */
  plainBytes: number;
  recomputeBytes: number;
  /** Whether this scale recomputes (checkpointing on). */
  recompute: boolean;
  /**
   * The bytes of transformed weights Winograd convolutions may keep during the optimisation (the
   * job's limitWinogradCache; winogradCachedBytes, those that pay): 0 where the scale fits the
   * budget only without them. They are the first thing given up, before checkpointing; plainBytes
   * counts them when kept.
   */
  winogradCacheBytes: number;
}

export interface MemoryPlan {
  budgetMiB: number;
  /** The budget is the default, not a setting given. */
  isDefault?: boolean;
  scales: ScaleMemory[];
  /**
   * The first scale over the budget even with checkpointing, and the longest side that would fit
   * (checkMemory refuses it); `styleScale` when --style-scale alone puts it over: the largest that fits.
   */
  over?: ScaleMemory & { largestSide: number; styleScale?: { given: number; largest: number } };
}

export const deepestLayer = (loss: LossConfig): number =>
  Math.max(0, ...(loss.contentWeight ? loss.contentLayers : []), ...(loss.styleWeight ? loss.styleLayers : []));

/** The VGG weights on the device: each conv's weights, their flipped copy and the bias. */
export function weightBytes(upTo: number): number {
  return VGG19_CONVS.filter((m) => m.index <= upTo).reduce((sum, m) => sum + 2 * bufferBytes(m.cout * m.cin * 9) + bufferBytes(m.cout), 0);
}

/** The largest tensor a step at h×w makes: the widest VGG output up to module `upTo` (or the image). */
export function largestActivation(upTo: number, height: number, width: number): { shape: [number, number, number, number]; name: string } {
  let best = { shape: [1, 3, height, width] as [number, number, number, number], name: 'the image' };
  for (const m of VGG19_FEATURES.slice(0, upTo + 1)) {
    const [c, h, w] = featureShape(m.index, height, width);
    if (c * h * w > best.shape[1] * best.shape[2] * best.shape[3]) best = { shape: [1, c, h, w], name: `${m.name}'s output` };
  }
  return best;
}

/** The tensor limit a step at width×height breaks (the adapter's limits the job gives), or null. */
export interface TensorOverLimit {
  shape: [number, number, number, number];
  bytes: number;
  name: string;
  limitBytes: number;
  limit: 'maxBufferSize' | 'maxStorageBufferBindingSize';
}

/**
 * The kernels that bind the image [1, 3, H, W] whole on each optimiser's path: while any does, the
 * image must fit one binding. Every other kernel over it runs band by band (src/kernels/band.ts):
 * the VGG convs, the upload (image_reduce), resize, TV, channel affine, original colours, Adam's
 * step, the gradient sums.
 */
export const IMAGE_BOUND_WHOLE: Readonly<Record<OptimizerPlan['kind'], readonly string[]>> = {
  adam: [],
  lbfgs: ["L-BFGS's dot, norms and axpy_dot"],
};

/**
 * The one rule for how large a step's tensors may be: any tensor up to maxBufferSize (kernels bind
 * larger ones than one binding band by band: src/kernels/band.ts); one channel plane of the image
 * [1, 1, H, W] up to maxStorageBufferBindingSize (resize's column pass binds a plane whole); and
 * the image [1, 3, H, W] up to maxStorageBufferBindingSize where a kernel on the optimiser's path
 * binds it whole (IMAGE_BOUND_WHOLE; Adam when `optimizer` is absent, as in StyleOptions).
 * A limit not known (undefined) is not checked. Where several are broken, the one that allows
 * fewest pixels: the largest size a TensorTooLargeError for it names then passes the others too.
 */
export function tensorOverLimit(
  upTo: number,
  width: number,
  height: number,
  limits: { bufferBytes?: number; bindingBytes?: number; optimizer?: OptimizerPlan },
): TensorOverLimit | null {
  const { shape, name } = largestActivation(upTo, height, width);
  const candidates: TensorOverLimit[] = [];
  if (limits.bufferBytes !== undefined)
    candidates.push({ shape, bytes: shape.reduce((a, b) => a * b) * 4, name, limitBytes: limits.bufferBytes, limit: 'maxBufferSize' });
  if (limits.bindingBytes !== undefined) {
    const binding = { limitBytes: limits.bindingBytes, limit: 'maxStorageBufferBindingSize' } as const;
    candidates.push({
      shape: [1, 1, height, width],
      bytes: height * width * 4,
      name: 'one plane of the image, which resize binds whole',
      ...binding,
    });
    const whole = IMAGE_BOUND_WHOLE[limits.optimizer?.kind ?? 'adam'];
    if (whole.length > 0)
      candidates.push({
        shape: [1, 3, height, width],
        bytes: 3 * height * width * 4,
        name: `the image, which ${whole.join(' and ')} ${whole.length === 1 ? 'binds' : 'bind'} whole`,
        ...binding,
      });
  }
  const pixelsAllowed = (c: TensorOverLimit) => c.limitBytes / (c.bytes / (width * height));
  const over = candidates.filter((c) => c.bytes > c.limitBytes).sort((a, b) => pixelsAllowed(a) - pixelsAllowed(b));
  return over[0] ?? null;
}

/** [channels, height, width] of module `index`'s output for an h×w image. */
function featureShape(index: number, h: number, w: number): [number, number, number] {
  let [c, y, x] = [3, h, w];
  for (const m of VGG19_FEATURES.slice(0, index + 1)) {
    if (m.kind === 'pool') [y, x] = [Math.floor(y / 2), Math.floor(x / 2)];
    else c = m.cout;
  }
  return [c, y, x];
}

/**
 * The most bytes a scale of width×height holds at once; `winogradCache`: with the transformed
 * weights Winograd convolutions keep (the job keeps them only where the plan allows).
 */
export function scalePeakBytes(
  job: MemoryJob,
  width: number,
  height: number,
  recompute: boolean,
  previous?: Scale,
  winogradCache = true,
): number {
  const { loss, pooling } = job;
  const convertsInput = job.convertsInput ?? true;
  const subgroups = job.subgroups ?? true;
  const winograd = job.winograd ?? true;
  const vector = bufferBytes(3 * width * height);
  const styles = (job.styles ?? [{ width, height }]).map((s) => {
    const f = (job.styleScale * Math.max(width, height)) / Math.max(s.width, s.height);
    return { width: Math.max(1, Math.round(s.width * f)), height: Math.max(1, Math.round(s.height * f)) };
  });
  // Always there: weights, the content and style images (RGB at the largest scale's size, here this one's).
  const weights = weightBytes(deepestLayer(loss));
  const base = weights + vector + styles.reduce((sum, s) => sum + bufferBytes(3 * s.width * s.height), 0);
  const contentTargets = loss.contentWeight
    ? loss.contentLayers.reduce((sum, l) => sum + bufferBytes(featureShape(l, height, width).reduce((a, b) => a * b)), 0)
    : 0;
  const gramTargets = loss.styleWeight ? loss.styleLayers.reduce((sum, l) => sum + bufferBytes(featureShape(l, 1, 1)[0] ** 2), 0) : 0;
  // The targets: content and style images in the seed's space, one forward each (no gradient).
  const seeds = vector + styles.reduce((sum, s) => sum + bufferBytes(3 * s.width * s.height), 0);
  const before = base + seeds + (previous ? bufferBytes(3 * previous.width * previous.height) : 0);
  const net = { pooling, subgroups, convertsInput, winograd, bindingBytes: job.bindingBytes ?? DEFAULT_BINDING_BYTES };
  // The targets' passes keep no transformed weights (the job's limit is 0 then).
  const targetsNet = { ...net, keepsWinogradWeights: false };
  const contentPass = loss.contentWeight ? featuresPeakBytes(height, width, loss.contentLayers, false, targetsNet) : 0;
  const stylePass = loss.styleWeight
    ? Math.max(...styles.map((s) => featuresPeakBytes(s.height, s.width, loss.styleLayers, true, targetsNet))) + contentTargets
    : 0;
  const targetsPhase = before + Math.max(contentPass, stylePass);
  // The optimisation: the image, the last good one, the optimiser's state, and one evaluation.
  const plan = job.optimizer;
  const optimizerVectors = plan?.kind === 'lbfgs' ? lbfgsVectors(plan).history + lbfgsVectors(plan).working + 1 : 2;
  const model: StepModel = {
    ...{ height, width, contentLayers: loss.contentLayers, styleLayers: loss.styleLayers },
    ...{ contentWeight: loss.contentWeight, styleWeight: loss.styleWeight, tvWeight: loss.tvWeight },
    ...{ ...net, keepsWinogradWeights: winogradCache, normalized: convertsInput, recompute },
  };
  const kept = winograd && winogradCache ? winogradCachedBytes(deepestLayer(loss), height, width) : 0;
  const optimise = base + kept + contentTargets + gramTargets + (2 + optimizerVectors) * vector + evaluationPeakBytes(model);
  return Math.max(targetsPhase, optimise);
}

/**
 * Each scale's peak with and without checkpointing, and whether it recomputes: only where the
 * plain peak is over the budget. A scale over it even with checkpointing is noted with the
 * largest size that fits, for checkMemory to refuse. `isDefault`: the budget was not given.
 */
export function planMemory(job: MemoryJob, budgetMiB: number, isDefault = false): MemoryPlan {
  const budget = budgetMiB * MiB;
  const scales = job.scales.map((s, i) => {
    const peak = (recompute: boolean, cache: boolean) => scalePeakBytes(job, s.width, s.height, recompute, job.scales[i - 1], cache);
    const cachedBytes = peak(false, true);
    const keeps = cachedBytes <= budget && (job.winograd ?? true);
    const winogradCacheBytes = keeps ? winogradCachedBytes(deepestLayer(job.loss), s.height, s.width) : 0;
    const plainBytes = keeps ? cachedBytes : peak(false, false);
    const recompute = plainBytes > budget;
    const recomputeBytes = recompute ? peak(true, false) : plainBytes;
    return { width: s.width, height: s.height, plainBytes, recomputeBytes, recompute, winogradCacheBytes };
  });
  const over = scales.find((s) => s.recomputeBytes > budget);
  if (!over) return { budgetMiB, isDefault, scales };
  const fitsWith = (styleScale: number) =>
    scalePeakBytes({ ...job, styleScale }, over.width, over.height, true, undefined, false) <= budget;
  // A style image drawn far larger than the scale (--style-scale) is to blame when one at the scale's size fits.
  const styleScale =
    job.styleScale > 1 && fitsWith(1) ? { given: job.styleScale, largest: largestFitting(1, job.styleScale, fitsWith) } : undefined;
  return {
    budgetMiB,
    isDefault,
    scales,
    over: { ...over, largestSide: largestFittingSide(job, over, budget), ...(styleScale ? { styleScale } : {}) },
  };
}

/** The largest x in [lo, hi) that `fits` (monotone, fits(lo)), to two significant digits, rounded down. */
function largestFitting(lo: number, hi: number, fits: (x: number) => boolean): number {
  for (let i = 0; i < 40; i++) [lo, hi] = fits((lo + hi) / 2) ? [(lo + hi) / 2, hi] : [lo, (lo + hi) / 2];
  const unit = 10 ** (Math.floor(Math.log10(lo)) - 1);
  return Number((Math.floor(lo / unit) * unit).toPrecision(2));
}

/**
 * The longest side of the largest scale of `shape`'s proportions that fits `budget` bytes with
 * checkpointing (without, when `recompute` is false) and the adapter's tensor limits the job gives
 * (tensorOverLimit; `fits` replaces that test); 0 if none.
 */
export function largestFittingSide(
  job: MemoryJob,
  shape: { width: number; height: number },
  budget: number,
  fits = (w: number, h: number) => tensorOverLimit(deepestLayer(job.loss), w, h, job) === null,
  recompute = true,
): number {
  const long = Math.max(shape.width, shape.height);
  const dims = (side: number) => ({
    width: Math.max(1, Math.round((shape.width * side) / long)),
    height: Math.max(1, Math.round((shape.height * side) / long)),
  });
  const ok = (side: number) => {
    const { width, height } = dims(side);
    return fits(width, height) && (budget === Infinity || scalePeakBytes(job, width, height, recompute, undefined, false) <= budget);
  };
  let [lo, hi] = [0, 1];
  while (ok(hi) && hi < 1 << 20) [lo, hi] = [hi, hi * 2];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
