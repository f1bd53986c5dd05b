// The memory plan of a style job, made before any work: for each scale, the most GPU memory it
// holds at once (its graph counted by memory-model.ts, which runs the job's own code on a counting
// device, plus the images and the optimiser's state), with and without checkpointing. A scale over the budget recomputes
// activations (each VGG block a segment); one over it even so stops the job with the largest
// size that fits (memory-messages.ts words it). WebGPU does not say how much memory a device has, so the budget is a setting
// (maxMemory, MiB) whose default the edge gives: 3/4 of the host's memory in Node (an integrated
// or software adapter shares it; a discrete GPU's own is usually smaller: set --max-memory), and
// 2 GiB in a browser tab. The adapter's limits, where the edge passes them (MemoryJob's
// bindingBytes and bufferBytes), size the band scratch of ops past one binding and bound the largest size (tensorOverLimit).

import { pooledBytes } from '../gpu/pool.js';
import { minimumSide, moduleShapes, type Pooling } from '../vgg/index.js';
import type { OptimizerPlan } from '../optim/types.js';
import { lbfgsVectors } from '../optim/lbfgs-history.js';
import { deepestLayer, type LossConfig } from '../style/loss.js';
import { styleImageSize } from '../style/sizes.js';
import { countScale, countWeightBytes, DEFAULT_BINDING_BYTES, type CountedScale } from './memory-model.js';
import type { Scale } from '../style/job-types.js';

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
  /** A video frame's temporal term: the earlier outputs it compares with (memory-model.ts counts their tensors; default 0). */
  temporalTerms?: number;
  /** --style-mask: the masks (one per style image; memory-model.ts counts their regions and per-style targets; default 0). */
  styleMaskCount?: number;
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
   * job's limitWinogradCache; those that pay, as the counted evaluations kept them): 0 where the scale fits the
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

/** The VGG weights on the device up to module `upTo` (each conv's weights, their flipped copy and the bias). */
export function weightBytes(upTo: number): number {
  return countWeightBytes(upTo);
}

/** The largest tensor a step at h×w makes: the widest VGG output up to module `upTo` (or the image). */
export function largestActivation(upTo: number, height: number, width: number): { shape: [number, number, number, number]; name: string } {
  let best = { shape: [1, 3, height, width] as [number, number, number, number], name: 'the image' };
  for (const {
    module: m,
    output: [c, h, w],
  } of moduleShapes(height, width, upTo)) {
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
  return scaleMemory(job, width, height, recompute, previous, winogradCache).peak;
}

/**
 * Always there: the content and style images (RGB at the largest scale's size, here this one's) and,
 * with style masks, each mask's weights at that size, as the pool allocates them (pooledBytes).
 */
export function imageBytes(
  job: Pick<MemoryJob, 'styleMaskCount'>,
  width: number,
  height: number,
  styles: ReadonlyArray<{ width: number; height: number }>,
): number {
  const masks = (job.styleMaskCount ?? 0) * pooledBytes(4 * width * height);
  return pooledBytes(4 * 3 * width * height) + masks + styles.reduce((sum, s) => sum + pooledBytes(4 * 3 * s.width * s.height), 0);
}

/** scalePeakBytes, with the counts of its graph (memory-model.ts). */
function scaleMemory(
  job: MemoryJob,
  width: number,
  height: number,
  recompute: boolean,
  previous: Scale | undefined,
  winogradCache: boolean,
): { peak: number; counted: CountedScale } {
  const vector = pooledBytes(4 * 3 * width * height);
  const deepest = deepestLayer(job.loss);
  const styles = (job.styles ?? Array.from({ length: Math.max(1, job.styleMaskCount ?? 0) }, () => ({ width, height }))).map((s) =>
    styleImageSize(s, { width, height }, job.styleScale, deepest),
  );
  const counted = countScale(
    {
      ...{ width, height, styles, loss: job.loss, pooling: job.pooling, convertsInput: job.convertsInput ?? true },
      ...{ subgroups: job.subgroups ?? true, winograd: job.winograd ?? true, bindingBytes: job.bindingBytes ?? DEFAULT_BINDING_BYTES },
      temporalTerms: job.temporalTerms ?? 0,
      styleMaskCount: job.styleMaskCount ?? 0,
    },
    recompute,
    winogradCache,
  );
  const images = imageBytes(job, width, height, styles);
  const base = counted.weightBytes + images;
  // The targets: content and style images in the normalised space, one forward each (no gradient).
  const before = base + images + (previous ? pooledBytes(4 * 3 * previous.width * previous.height) : 0);
  const targetsPhase = before + counted.targetsPeakBytes;
  // The optimisation: the image, the last good one, the optimiser's state, the targets and one evaluation.
  const plan = job.optimizer;
  const optimizerVectors = plan?.kind === 'lbfgs' ? lbfgsVectors(plan).history + lbfgsVectors(plan).working + 1 : 2;
  const optimise = base + counted.targetBytes + (2 + optimizerVectors) * vector + counted.evaluationPeakBytes;
  return { peak: Math.max(targetsPhase, optimise), counted };
}

/**
 * Each scale's peak with and without checkpointing, and whether it recomputes: only where the
 * plain peak is over the budget. A scale over it even with checkpointing is noted with the
 * largest size that fits, for checkMemory to refuse. `isDefault`: the budget was not given.
 */
export function planMemory(job: MemoryJob, budgetMiB: number, isDefault = false): MemoryPlan {
  const budget = budgetMiB * MiB;
  const scales = job.scales.map((s, i) => {
    const peak = (recompute: boolean, cache: boolean) => scaleMemory(job, s.width, s.height, recompute, job.scales[i - 1], cache);
    const cached = peak(false, true);
    const keeps = cached.peak <= budget && (job.winograd ?? true);
    const winogradCacheBytes = keeps ? cached.counted.winogradCacheBytes : 0;
    const plainBytes = keeps ? cached.peak : peak(false, false).peak;
    const recompute = plainBytes > budget;
    const recomputeBytes = recompute ? peak(true, false).peak : plainBytes;
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
  // Sides too small for the layers (the job refuses them) need what the smallest allowed needs.
  const smallest = minimumSide(deepestLayer(job.loss));
  const needs = new Map<number, number>();
  const need = (side: number) => {
    let bytes = needs.get(side);
    if (bytes === undefined) {
      const { width, height } = dims(side);
      const [w, h] = [Math.max(width, smallest), Math.max(height, smallest)];
      bytes = !fits(width, height) ? Infinity : budget === Infinity ? 0 : scalePeakBytes(job, w, h, recompute, undefined, false);
      needs.set(side, bytes);
    }
    return bytes;
  };
  const ok = (side: number) => need(side) < Infinity && need(side) <= budget;
  // The peak grows about as the side squared: guess where it meets the budget from two sides' needs.
  const guess = (a: number, b: number) => Math.floor(Math.sqrt(a ** 2 + ((budget - need(a)) * (b ** 2 - a ** 2)) / (need(b) - need(a))));
  let [lo, hi] = [0, 1];
  // Double the side until it needs too much, or go just past the guess where that is nearer.
  while (ok(hi) && hi < 1 << 20)
    [lo, hi] = [hi, Math.max(hi + 1, Math.min(2 * hi, lo > 0 && need(hi) > need(lo) ? guess(lo, hi) + 1 : Infinity))];
  while (hi - lo > 1) {
    const quadratic = lo > 0 && need(hi) < Infinity && need(hi) > need(lo);
    const mid = quadratic ? Math.min(hi - 1, Math.max(lo + 1, guess(lo, hi))) : Math.floor((lo + hi) / 2);
    if (ok(mid)) {
      lo = mid;
      if (mid + 1 < hi) [lo, hi] = ok(mid + 1) ? [mid + 1, hi] : [lo, mid + 1];
    } else {
      hi = mid;
      if (mid - 1 > lo) [lo, hi] = ok(mid - 1) ? [mid - 1, hi] : [lo, mid - 1];
    }
  }
  return lo;
}
