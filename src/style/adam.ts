// Adam on the image (the seed's optimiser): one evaluation per step, the learning rate decayed
// every scale.lrDecayEvery steps, its two moment buffers the state a checkpoint keeps.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { adamStep } from '../kernels/index.js';
import type { Objective, Optimizer, OptimizerState, StepEnd } from './optimizer.js';
import { learningRate, type Scale } from './schedule.js';

export class Adam implements Optimizer {
  readonly kind = 'adam';
  readonly readsLosses = false;
  private t = 0;
  private image: DeviceTensor | null = null;
  private scale: Scale | null = null;
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

  begin(image: DeviceTensor, scale: Scale, resume?: { step: number; state: OptimizerState }): void {
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
