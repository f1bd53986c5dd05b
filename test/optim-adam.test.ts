// The Adam optimiser of the image (src/optim/adam.ts, what the job runs) against torch.optim.Adam
// in float64 (test/helpers/oracle.ts) on a quadratic whose gradient the host computes: its
// learning-rate schedule (lr × decay every lrDecayEvery steps, restarting each scale), and a state
// saved mid-scale and taken back goes on as if never stopped. The kernel alone: adam_step.test.ts.

import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/gpu/index.js';
import { Adam, learningRate } from '../src/optim/adam.js';
import type { OptimizerState } from '../src/optim/types.js';
import { expectClose } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import { HostObjective, type HostFunction } from './helpers/lbfgs-device.js';
import * as oracle from './helpers/oracle.js';
import { randomArray } from './helpers/random.js';

const N = 3 * 7 * 5;
const target = randomArray(N, 11, 3);
/** f(x) = Σ wᵢ (xᵢ − tᵢ)² with uneven weights, so that every component moves at its own pace. */
const quadratic: HostFunction = (x) => {
  const g = new Float64Array(N);
  let f = 0;
  for (let i = 0; i < N; i++) {
    const w = 1 + (i % 7);
    f += w * (x[i]! - target[i]!) ** 2;
    g[i] = 2 * w * (x[i]! - target[i]!);
  }
  return { f, g };
};

const LR = 0.05;
const DECAY = 0.1;
const EVERY = 4;

/** The oracle: torch's Adam, with the gradients the optimiser's own iterates give (float64 from the device's f32). */
function oracleRun(x0: ArrayLike<number>, steps: number, every: number): Float64Array {
  let x: Float64Array = Float64Array.from(x0);
  const grads: Float64Array[] = [];
  for (let t = 1; t <= steps; t++) {
    grads.push(quadratic(x).g);
    x = oracle.adam(Float64Array.from(x0), grads, (s) => LR * DECAY ** Math.floor((s - 1) / every));
  }
  return x;
}

/** `steps` Adam steps from x0 on the device; optionally saving the state after `saveAt` and going on from it in a new optimiser. */
async function deviceRun(ctx: GpuContext, x0: ArrayLike<number>, steps: number, saveAt?: number): Promise<Float32Array> {
  const image = ctx.upload([1, 3, 7, 5], x0, 'image');
  const objective = new HostObjective(ctx, image, quadratic);
  let adam = new Adam(ctx, LR, DECAY);
  adam.begin(image, { lrDecayEvery: EVERY });
  for (let t = 1; t <= steps; t++) {
    await adam.step(objective);
    if (t === saveAt) {
      const state: OptimizerState = await adam.state();
      adam.end();
      adam = new Adam(ctx, LR, DECAY);
      adam.begin(image, { lrDecayEvery: EVERY }, { step: t, state });
    }
  }
  const out = await image.read();
  adam.end();
  image.release();
  return out;
}

describe('Adam optimiser', () => {
  const gpu = useGpu();
  const x0 = randomArray(N, 5, 2);
  const STEPS = 10;

  it('learningRate decays by the factor every lrDecayEvery steps, from step 1', () => {
    expect([1, 4, 5, 8, 9].map((t) => learningRate(1, 0.1, 4, t))).toEqual([1, 1, 0.1, 0.1, 0.1 ** 2]);
  });

  it("follows torch.optim.Adam with the seed's step decay over a scale", async () => {
    const moved = await deviceRun(gpu(), x0, STEPS);
    expectClose(moved, oracleRun(x0, STEPS, EVERY), 1e-5, 'adam optimiser');
    // A schedule off by one step (decay every 5) lands elsewhere: the comparison can tell.
    expect(Math.max(...moved.map((v, i) => Math.abs(v - oracleRun(x0, STEPS, EVERY + 1)[i]!)))).toBeGreaterThan(1e-4);
  });

  it('a state saved mid-scale and taken back ends on the same image, bit for bit', async () => {
    const ctx = gpu();
    const straight = await deviceRun(ctx, x0, STEPS);
    const resumed = await deviceRun(ctx, x0, STEPS, 6);
    expect(Buffer.from(resumed.buffer).equals(Buffer.from(straight.buffer))).toBe(true);
  });
});
