// Runs src/optim/lbfgs.ts on a test objective and records what the float64 oracle records: the
// image after each iteration and the loss of each evaluation.

import type { DeviceTensor, GpuContext } from '../../src/gpu/index.js';
import { Lbfgs, type LbfgsSettings } from '../../src/optim/lbfgs.js';
import type { Evaluation, Objective } from '../../src/optim/types.js';

/** f(x) and ∇f(x) in float64 at the device's (f32) x. */
export type HostFunction = (x: Float64Array) => { f: number; g: Float64Array };

/** An objective computed on the CPU from the image read back: the optimiser under test is all that runs on the device. */
export class HostObjective implements Objective {
  stopping = false;
  evaluations = 0;

  constructor(
    private readonly ctx: GpuContext,
    private readonly image: DeviceTensor,
    private readonly fn: HostFunction,
  ) {}

  async evaluate(): Promise<Evaluation> {
    this.evaluations++;
    const { f, g } = this.fn(Float64Array.from(await this.image.read()));
    return { grad: this.ctx.upload(this.image.shape, g, 'gradient'), losses: this.ctx.upload([4], [0, 0, 0, f], 'losses'), values: null };
  }
}

export interface DeviceRun {
  iterates: Float64Array[];
  losses: number[];
  /** The history's s vectors after each iteration, oldest first (when asked for). */
  histories: Float64Array[][];
  lbfgs: Lbfgs;
}

/** L-BFGS from x0 for `budget` evaluations of `objective(image)`, as the style job drives it. */
export async function runDevice(
  ctx: GpuContext,
  x0: ArrayLike<number>,
  budget: number,
  settings: LbfgsSettings,
  objective: (image: DeviceTensor) => Objective & { evaluations: number },
  options: { histories?: boolean; shape?: readonly number[] } = {},
): Promise<DeviceRun> {
  const image = ctx.upload(options.shape ?? [1, 1, 1, x0.length], x0, 'x');
  const o = objective(image);
  const losses: number[] = [];
  const lbfgs = new Lbfgs(ctx, settings);
  lbfgs.begin(image, { width: x0.length, height: 1, steps: budget, lrDecayEvery: budget });
  const run: DeviceRun = { iterates: [], losses, histories: [], lbfgs };
  const seen: Evaluation[] = [];
  const recording: Objective = {
    get stopping() {
      return o.stopping;
    },
    evaluate: async () => {
      const ev = await o.evaluate();
      seen.push(ev);
      return ev;
    },
  };
  while (o.evaluations < budget) {
    const end = await lbfgs.step(recording, budget - o.evaluations);
    for (const ev of seen.splice(0)) {
      losses.push(ev.values![3]!);
      ev.losses.release();
    }
    run.iterates.push(Float64Array.from(await image.read()));
    if (options.histories) {
      const { vectors, numbers } = await lbfgs.state();
      run.histories.push((numbers.ys as number[]).map((_, k) => Float64Array.from(vectors[`s${k}`]!)));
    }
    if (end) break;
  }
  return run;
}
