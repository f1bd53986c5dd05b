// Picks the fastest conv3x3 variant for each shape on this adapter by timing them all once (direct
// and Winograd alike; Winograd as a step runs it: with its weights transformed once where the
// convolution keeps them — at most WINOGRAD_CACHE_TILES tiles, within the context's limit — else
// per call, the transform timed with it),
// remembers the choice in the context's Tuning (tuning.ts; launchers read it), and saves it
// through the tuning's store. The input gradient is a forward convolution of dy with flipped
// weights, so its shapes are tuned as forward ones (convShapesForStep lists both). What it may
// skip (a choice reused across heights, families that lose on this adapter) is autotune-rules.ts's.

import { measureGpuMs, type GpuContext } from '../gpu/index.js';
import { fitsBinding } from './band.js';
import { show } from '../util/quote.js';
import { conv3x3Forward, convBands } from './conv3x3.js';
import { CONV_VARIANTS, convTuningKey, convVariantsFor } from './conv3x3_variants.js';
import { releaseWinogradWeights } from './conv3x3_winograd.js';
import { tuningFor } from './tuning.js';
import {
  parseConvKey,
  proxyRows,
  prunableFamilies,
  prunedFamilies,
  reusableChoice,
  variantFamily,
  type ConvShape4,
} from './autotune-rules.js';

export interface ConvShape {
  /** Input [N, Cin, H, W]. */
  shape: readonly [number, number, number, number];
  cout: number;
}

export interface TuneResult {
  key: string;
  chosen: string;
  /** Fastest of the runs, GPU ms, per variant; variants abandoned early as clearly slower, or pruned, are absent. */
  ms: Record<string, number>;
  /** The tuned key whose choice was reused (a conv differing only in height; nothing timed). */
  reusedFrom?: string;
  /** Variant families not timed: they lost on every comparable shape tuned on this adapter. */
  pruned?: string[];
}

/**
 * Bytes (input + output) a variant is timed on. A taller conv is timed on its first rows only: the
 * variants tile rows and columns alike, so their order does not change with the height, and a
 * 1024 px image's convs are then tuned in seconds, not minutes.
 */
export const AUTOTUNE_PROXY_BYTES = 16 * 2 ** 20;

export interface AutotuneOptions {
  /** How many more runs a variant within 2× of the best so far gets, after its first (default 1 with timestamp queries, else 3). */
  runs?: number;
  /** Time every variant of every shape, reusing and pruning nothing (benchmarks that report each variant's time). */
  exhaustive?: boolean;
  /** Time at most this many bytes of each conv (default AUTOTUNE_PROXY_BYTES; Infinity: the whole shape, as benchmarks that report per-layer times need). */
  proxyBytes?: number;
  /** Stop between timings once aborted (a first run on a slow adapter tunes for tens of seconds); shapes left are not tuned. */
  signal?: AbortSignal;
  /** Called before timing, with the number of shapes to tune, if there are any. */
  onStart?: (shapes: number) => void;
  /** Called as each shape is tuned (or its choice reused): done of total, and its tuning key. */
  onShape?: (done: number, total: number, key: string) => void;
}

/** The shape a conv of `shape` into `cout` channels is timed at: its first rows, if it is large. */
function proxyShape(shape: ConvShape['shape'], cout: number, proxyBytes: number): ConvShape['shape'] {
  const rows = proxyRows(shape, cout, proxyBytes);
  return rows < shape[2] ? [shape[0], shape[1], rows, shape[3]] : shape;
}

/**
 * Tunes every shape not tuned yet. Costs a few dispatches per variant and shape, once per adapter.
 * result.ms are the times at the timed (proxy) shape.
 */
export async function autotuneConv(ctx: GpuContext, shapes: readonly ConvShape[], options: AutotuneOptions = {}): Promise<TuneResult[]> {
  const proxyBytes = options.proxyBytes ?? AUTOTUNE_PROXY_BYTES;
  const tuning = tuningFor(ctx);
  const results: TuneResult[] = [];
  // A conv larger than one binding runs band by band (band.ts): time the shape of its bands.
  shapes = shapes.map(({ shape, cout }) => {
    if (fitsBinding(ctx, shape, [shape[0], cout, shape[2], shape[3]])) return { shape, cout };
    const [start, end] = convBands(ctx, shape, cout)[0]!.rows[0]!;
    return { shape: [shape[0], shape[1], end - start, shape[3]] as const, cout };
  });
  const todo = shapes.filter((s, i) => {
    const key = convTuningKey(s.shape, s.cout);
    return !tuning.has(key) && shapes.findIndex((o) => convTuningKey(o.shape, o.cout) === key) === i;
  });
  if (todo.length > 0) options.onStart?.(todo.length);
  for (const { shape, cout } of todo) {
    if (options.signal?.aborted) break;
    const key = convTuningKey(shape, cout);
    const reused = options.exhaustive ? undefined : reusableChoice(tuning.owned(), shape, cout, proxyBytes);
    const result = reused
      ? { key, chosen: reused.variant, ms: {}, reusedFrom: reused.key }
      : await tuneShape(ctx, shape, cout, { ...options, proxyBytes });
    if (!result) break; // aborted
    tuning.set(key, result.chosen);
    results.push(result);
    options.onShape?.(results.length, todo.length, key);
  }
  if (results.length > 0) tuning.store?.save(tuning.owned());
  return results;
}

/**
 * A variant's first timed run on a shape, after a warm-up only where one changes it: a pipeline
 * compiled at its first dispatch (lavapipe compiles then, inside the timed work), or Winograd's
 * weights transformed at its first call on a tensor. A direct or tiled variant already compiled
 * (every shape after the first) goes without: slow ones (the tiled GEMMs on a CPU) cost most here.
 */
async function firstRun(ctx: GpuContext, name: string, time: (n: number, warmUp: number) => Promise<number[]>): Promise<number[]> {
  if (variantFamily(name).includes('wino')) return time(1, 1);
  const compiled = ctx.pipelines.size;
  const first = await time(1, 0);
  return ctx.pipelines.size > compiled ? time(1, 0) : first;
}

/** Times the variants (less the pruned families) on one shape; null when aborted meanwhile. */
async function tuneShape(
  ctx: GpuContext,
  shape: ConvShape4,
  cout: number,
  options: AutotuneOptions & { proxyBytes: number },
): Promise<TuneResult | null> {
  // Timestamps time the GPU's work alone, so one run more does for a contender; wall clock needs a few.
  const runs = options.runs ?? (ctx.profiler.supported ? 1 : 3);
  const variants = convVariantsFor(ctx);
  const families = prunableFamilies(variants);
  const pruned = options.exhaustive
    ? new Set<string>()
    : prunedFamilies(tuningFor(ctx).owned(), shape, cout, families, variantFamily(variants[0]!.name));
  const x = ctx.zeros(proxyShape(shape, cout, options.proxyBytes), 'autotune input');
  const w = ctx.zeros([cout, shape[1], 3, 3], 'autotune weights');
  const ms: Record<string, number> = {};
  let best = Infinity;
  for (const variant of variants) {
    if (options.signal?.aborted) break;
    if (pruned.has(variantFamily(variant.name)) || variant.suits?.(shape, cout) === false) continue;
    const time = (n: number, warmUp: number) => measureGpuMs(ctx, () => [conv3x3Forward(ctx, x, w, undefined, { variant })], n, warmUp);
    const first = await firstRun(ctx, variant.name, time);
    // The fastest run, not the median: on a shared or software device (lavapipe's timestamps time
    // CPU cores others use too), interference only ever slows a run down, and a median of three
    // picked a variant 1.4× slower in steady state. So a contender (within 2× of the best so far)
    // is timed `runs` times more; a variant clearly slower at its first run is not worth it.
    const more = first[0]! <= 2 * best ? await time(runs, 0) : [];
    const fastest = Math.min(...first, ...more);
    ms[variant.name] = fastest;
    best = Math.min(best, fastest);
  }
  releaseWinogradWeights(ctx, w);
  x.release();
  w.release();
  if (options.signal?.aborted) return null;
  const chosen = Object.entries(ms).sort((a, b) => a[1] - b[1])[0]![0];
  return { key: convTuningKey(shape, cout), chosen, ms, ...(pruned.size > 0 ? { pruned: [...pruned] } : {}) };
}

/** More choices than any run makes (a run tunes ~13 shapes per scale; a tuning file's adapter
 * section, which checkpoints also carry, grows by as many per size ever run). */
const MOST_CHOICES = 10_000;

/**
 * The choices of a tuning record read from a file anyone may edit (a checkpoint) that a run can
 * use: those for this version's convolution keys, each naming a variant this version has. Keys of
 * other tuning generations (or none) are dropped, since no launcher would read them; an unknown
 * variant for a current key, or more choices than any run makes, is a problem to report.
 */
export function usableConvChoices(record: Record<string, string>): { choices: Record<string, string> } | { problem: string } {
  const entries = Object.entries(record);
  if (entries.length > MOST_CHOICES)
    return { problem: `it carries ${entries.length} tuning choices, more than the ${MOST_CHOICES} any run makes` };
  const variants = new Set(CONV_VARIANTS.map((v) => v.name));
  const choices: Record<string, string> = {};
  for (const [key, variant] of entries) {
    if (!parseConvKey(key)) continue;
    if (!variants.has(variant))
      return { problem: `its tuning choice ${show(key)} names the conv variant ${show(variant)}, which this wgpu-style does not have` };
    choices[key] = variant;
  }
  return { choices };
}
