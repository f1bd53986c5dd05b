// L-BFGS's memory: the last m curvature pairs (s = x_{k+1} − x_k, y = g_{k+1} − g_k) in a ring of
// 2·m image-sized buffers allocated once per scale, with each pair's y·s kept on the CPU. Once the
// ring is full a new pair replaces the oldest. Also what the memory costs, and the refusal of a
// history the device cannot hold.

import type { DeviceTensor, GpuContext, Shape } from '../gpu/index.js';
import { axpby } from '../kernels/index.js';
import { OptionError } from '../util/errors.js';
import type { LbfgsPlan } from '../style/job-types.js';
import type { Scale } from '../plan/schedule.js';

export interface CurvaturePair {
  s: DeviceTensor;
  y: DeviceTensor;
  /** y·s (> 0 for every pair kept). */
  ys: number;
  /** The pair's place in the ring (fixed while it lives). */
  slot: number;
}

export class CurvatureHistory {
  private readonly s: DeviceTensor[] = [];
  private readonly y: DeviceTensor[] = [];
  private readonly ys: number[];
  private oldest = 0;
  private count = 0;
  /** Where the next pair's y is formed; it joins the ring (by swapping buffers) if the pair is kept. */
  yNext: DeviceTensor;

  constructor(
    private readonly ctx: GpuContext,
    shape: Shape,
    /** The most pairs kept (m). */
    readonly capacity: number,
  ) {
    for (let i = 0; i < capacity; i++) {
      this.s.push(ctx.empty(shape, `lbfgs s${i}`));
      this.y.push(ctx.empty(shape, `lbfgs y${i}`));
    }
    this.yNext = ctx.empty(shape, 'lbfgs next y');
    this.ys = new Array<number>(capacity).fill(0);
  }

  get length(): number {
    return this.count;
  }

  /** The pairs, oldest first. */
  pairs(): CurvaturePair[] {
    return Array.from({ length: this.count }, (_, k) => {
      const slot = (this.oldest + k) % this.capacity;
      return { s: this.s[slot]!, y: this.y[slot]!, ys: this.ys[slot]!, slot };
    });
  }

  /** Keeps s = t·d and y = yNext (with y·s = ys) as the newest pair; the oldest goes when the ring is full. */
  push(t: number, d: DeviceTensor, ys: number): void {
    const slot = (this.oldest + this.count) % this.capacity;
    if (this.count === this.capacity) this.oldest = (this.oldest + 1) % this.capacity;
    else this.count++;
    axpby(this.ctx, t, d, 0, this.s[slot]!);
    [this.y[slot], this.yNext] = [this.yNext, this.y[slot]!];
    this.ys[slot] = ys;
  }

  /** The pairs, oldest first, read back for a checkpoint. */
  async save(): Promise<{ vectors: Record<string, Float32Array>; ys: number[] }> {
    const vectors: Record<string, Float32Array> = {};
    const pairs = this.pairs();
    for (const [k, p] of pairs.entries()) {
      vectors[`s${k}`] = await p.s.read();
      vectors[`y${k}`] = await p.y.read();
    }
    return { vectors, ys: pairs.map((p) => p.ys) };
  }

  /** Puts back pairs saved by `save`. */
  restore(vectors: Record<string, Float32Array>, ys: readonly number[]): void {
    if (ys.length > this.capacity) throw new Error(`lbfgs: the saved history holds ${ys.length} pairs, this one ${this.capacity}`);
    ys.forEach((value, k) => {
      this.ctx.write(this.s[k]!, vectors[`s${k}`]!);
      this.ctx.write(this.y[k]!, vectors[`y${k}`]!);
      this.ys[k] = value;
    });
    this.oldest = 0;
    this.count = ys.length;
  }

  release(): void {
    for (const t of [...this.s, ...this.y, this.yNext]) t.release();
  }
}

/**
 * Image-sized vectors L-BFGS holds: 2·m for the history; working ones: the direction, the next
 * pair's y and the last gradient, and with a line search its start image and the gradients at the
 * two ends of its bracket (besides the one being evaluated, which every optimiser has).
 */
export function lbfgsVectors(plan: LbfgsPlan): { history: number; working: number } {
  return { history: 2 * plan.history, working: plan.lineSearch === 'strong-wolfe' ? 6 : 3 };
}

/** What L-BFGS's vectors take at the largest scale. */
export function lbfgsMemory(plan: LbfgsPlan, scales: readonly Scale[]): { scale: Scale; historyBytes: number; workingBytes: number } {
  const scale = scales.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
  const vectorBytes = 3 * scale.width * scale.height * 4;
  const { history, working } = lbfgsVectors(plan);
  return { scale, historyBytes: history * vectorBytes, workingBytes: working * vectorBytes };
}

const mib = (bytes: number) => (bytes < 2 ** 30 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 2 ** 30).toFixed(1)} GiB`);

/** One line for the log: what the history and the working vectors take. */
export function describeLbfgsMemory(plan: LbfgsPlan, scales: readonly Scale[]): string {
  const { scale, historyBytes, workingBytes } = lbfgsMemory(plan, scales);
  const { working } = lbfgsVectors(plan);
  return (
    `L-BFGS: a history of ${plan.history} pairs takes ${mib(historyBytes)} of GPU memory at ${scale.width}×${scale.height} ` +
    `(2·${plan.history} vectors of 3×${scale.height}×${scale.width} floats), plus ${mib(workingBytes)} for ${working} working vectors`
  );
}

/**
 * Refuses a history the device cannot hold. WebGPU does not say how much memory a device has; the
 * one size it promises is maxBufferSize, the largest single buffer, so L-BFGS's vectors are held to it.
 */
export function checkLbfgsMemory(
  maxBufferSize: number,
  plan: LbfgsPlan,
  scales: readonly Scale[],
  budget?: { mib: number; fits: (history: number) => boolean },
): void {
  const { scale, historyBytes, workingBytes } = lbfgsMemory(plan, scales);
  if (historyBytes + workingBytes <= maxBufferSize) return;
  const vectorBytes = 3 * scale.width * scale.height * 4;
  const inBuffer = Math.floor((maxBufferSize / vectorBytes - lbfgsVectors(plan).working) / 2);
  // The advice must also fit the run's memory budget, or following it only meets the next refusal.
  const largest = budget ? largestFitting(Math.min(inBuffer, plan.history), budget.fits) : inBuffer;
  const within = budget && largest < inBuffer ? ` (the most that also fits the ${budget.mib} MiB GPU memory budget)` : '';
  const fix = largest >= 1 ? `use ${largest} or less${within}, or a smaller size` : 'use a smaller size';
  throw new OptionError(
    'lbfgsHistory',
    plan.history,
    `needs ${mib(historyBytes + workingBytes)} at ${scale.width}×${scale.height} (the history ${mib(historyBytes)}), more than this device's ` +
      `largest buffer (maxBufferSize, ${mib(maxBufferSize)}), the most GPU memory WebGPU promises: ${fix}`,
  );
}

/** The largest history from 1 to `most` that `fits` (fitting is monotone in the history); 0 if none. */
function largestFitting(most: number, fits: (history: number) => boolean): number {
  let [lo, hi] = [0, most + 1];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
