// Adam on the image (the seed's optimiser): one evaluation per step, the learning rate decayed
// every scale.lrDecayEvery steps, its two moment buffers the state a checkpoint keeps.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { adamStep } from '../kernels/index.js';
import type { Objective, Optimizer, OptimizerState, ScaleSchedule, StepEnd } from './types.js';
import { quoteNames } from '../util/quote.js';

/** Adam's state (see state()): its two moments, no numbers (the step count is the job's). */
const MOMENTS = ['m', 'v'];

/** Why `state` cannot be Adam's (null when it can): exactly the moments m and v, v never negative, no numbers. */
export function adamStateProblem(state: OptimizerState): string | null {
  const names = Object.keys(state.vectors);
  if (names.length !== MOMENTS.length || !MOMENTS.every((k) => names.includes(k)))
    return `its Adam vectors should be ${quoteNames(MOMENTS)}; it has ${quoteNames(names)}`;
  const numbers = Object.keys(state.numbers);
  if (numbers.length > 0) return `Adam keeps no numbers; it has ${quoteNames(numbers)}`;
  if (!state.vectors.v!.every((x) => x >= 0)) return "its Adam second moment v has values below 0 or that aren't numbers";
  return null;
}

export class Adam implements Optimizer {
  readonly kind = 'adam';
  readonly readsLosses = false;
  private t = 0;
  private image: DeviceTensor | null = null;
  private scale: ScaleSchedule | null = null;
  private m: DeviceTensor | null = null;
  private v: DeviceTensor | null = null;

  constructor(
    private readonly ctx: GpuContext,
    private readonly lr: number,
    private readonly lrDecay: number,
  ) {}

  get iteration(): number {
    return this.t;
  }

  begin(image: DeviceTensor, scale: ScaleSchedule, resume?: { step: number; state: OptimizerState }): void {
    const { ctx } = this;
    const saved = resume?.state.vectors;
    this.image = image;
    this.scale = scale;
    this.t = resume?.step ?? 0;
    this.m = saved ? ctx.upload(image.shape, saved.m!, 'adam m') : ctx.zeros(image.shape, 'adam m');
    this.v = saved ? ctx.upload(image.shape, saved.v!, 'adam v') : ctx.zeros(image.shape, 'adam v');
  }

  async step(objective: Objective): Promise<StepEnd> {
    const { grad } = await objective.evaluate();
    this.t++;
    const lr = learningRate(this.lr, this.lrDecay, this.scale!.lrDecayEvery, this.t);
    adamStep(this.ctx, { param: this.image!, grad, m: this.m!, v: this.v! }, this.t, { lr });
    grad.release();
    // Not awaited: the job lets one step wait in the queue behind the one the GPU runs.
    this.ctx.submit();
    return null;
  }

  async state(): Promise<OptimizerState> {
    return { kind: 'adam', vectors: { m: await this.m!.read(), v: await this.v!.read() }, numbers: {} };
  }

  end(): void {
    this.m?.release();
    this.v?.release();
    this.m = this.v = this.image = null;
  }
}

/** lr at step t (1-based) of a scale. */
export function learningRate(lr: number, decay: number, decayEvery: number, step: number): number {
  return lr * decay ** Math.floor((step - 1) / decayEvery);
}
