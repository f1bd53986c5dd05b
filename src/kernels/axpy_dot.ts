// Chains of axpy_dot passes (shaders/axpy_dot.wgsl): each pass finishes the inner product the
// pass before started, uses it in y ← b·y + c·(s[i] − fresh)·x, and starts the next inner product
// z·y. The L-BFGS two-loop recursion is such a chain, one pass per pair and loop.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { label, requireSameShape } from './launch.js';

const MAX_GROUPS = 1024;

export interface AxpyDotStep {
  x: DeviceTensor;
  /** Multiplies y (0: y is not read). */
  b: number;
  /** The coefficient of x is c·(s[i] − fresh), fresh the inner product the last pass started (0 for the first). */
  c: number;
  i: number;
  /** Where fresh is kept in the scalars (when there is one). */
  store?: number;
  /** Start the inner product z·y (the new y) for the next pass; none when absent. */
  z?: DeviceTensor;
}

/** Passes over one vector y, in order with the recorded work; call `release` after the last. */
export class AxpyDotChain {
  private readonly groups: number;
  private partials: [DeviceTensor, DeviceTensor];
  /** Partial sums waiting in partials[0], if any. */
  private pending = false;

  constructor(
    private readonly ctx: GpuContext,
    private readonly scalars: DeviceTensor,
    private readonly y: DeviceTensor,
  ) {
    const [wgSize] = ctx.workgroupSize('axpy_dot');
    this.groups = Math.max(1, Math.min(MAX_GROUPS, Math.ceil(y.size / (wgSize * 4))));
    this.partials = [ctx.empty([this.groups], 'axpy_dot partials'), ctx.empty([this.groups], 'axpy_dot partials')];
  }

  pass(step: AxpyDotStep): void {
    requireSameShape('axpy_dot', ['x', 'y'], step.x, this.y);
    if (step.z) requireSameShape('axpy_dot', ['z', 'y'], step.z, this.y);
    if (step.x.buffer === this.y.buffer || step.z?.buffer === this.y.buffer) throw new Error('axpy_dot: x and z must not be y');
    this.dispatch(this.y.size, step, step.z ?? step.x, label('axpy_dot', { x: step.x, y: this.y }));
  }

  /** Finishes the pending inner product into scalars[store], with no vector work. */
  finish(store: number): void {
    this.dispatch(0, { x: this.y, b: 1, c: 0, i: store === 0 ? 1 : 0, store }, this.y, 'axpy_dot finish');
  }

  release(): void {
    for (const t of this.partials) t.release();
  }

  private dispatch(n: number, step: AxpyDotStep, z: DeviceTensor, text: string): void {
    const withNext = step.z !== undefined;
    for (const slot of [step.i, step.store ?? 0])
      if (!Number.isInteger(slot) || slot < 0 || slot >= this.scalars.size)
        throw new Error(`axpy_dot: slot ${slot} is not in ${this.scalars}`);
    if (this.pending && step.store === undefined) throw new Error('axpy_dot: the pending inner product needs a slot to be stored in');
    // Workgroup 0 writes s[store] while every invocation reads s[i].
    if (this.pending && step.store === step.i) throw new Error(`axpy_dot: the coefficient's slot ${step.i} is the one stored into`);
    const [prev, next] = this.partials;
    const params = {
      ...{ n, prev_count: this.pending ? this.groups : 0, with_next: withNext ? 1 : 0 },
      ...{ b: step.b, c: step.c, i: step.i, store: step.store ?? 0 },
    };
    const buffers = [
      this.scalars.buffer,
      prev.buffer,
      step.x.buffer,
      z.buffer,
      n === 0 ? this.ctx.placeholder : this.y.buffer,
      next.buffer,
    ];
    this.ctx.dispatch({ kernel: 'axpy_dot', label: text, params, buffers, workgroups: [n === 0 ? 1 : this.groups] });
    this.pending = withNext;
    if (withNext) this.partials = [next, prev];
  }
}
