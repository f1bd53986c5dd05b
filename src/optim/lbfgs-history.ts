// L-BFGS's memory: the last m curvature pairs (s = x_{k+1} − x_k, y = g_{k+1} − g_k) in a ring of
// 2·m image-sized buffers allocated once per scale, with each pair's y·s kept on the CPU. Once the
// ring is full a new pair replaces the oldest. Also what the memory costs, and the refusal of a
// history the device cannot hold.

import type { DeviceTensor, GpuContext, Shape } from '../gpu/index.js';
import { axpby } from '../kernels/index.js';
import type { LbfgsPlan } from './types.js';

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
