import { describe, expect, it } from 'vitest';
import { adamStep } from '../src/kernels/index.js';
import { expectClose } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import * as oracle from './helpers/oracle.js';
import { randomArray } from './helpers/random.js';

describe('adam_step kernel', () => {
  const gpu = useGpu();

  it('matches the reference update over 25 steps with changing gradients and learning rates', async () => {
    const ctx = gpu();
    const n = 1037;
    const start = randomArray(n, 1);
    const grads = Array.from({ length: 25 }, (_, t) => randomArray(n, 100 + t, t < 5 ? 1e-3 : 2));
    const param = ctx.upload([n], start);
    const m = ctx.zeros([n]);
    const v = ctx.zeros([n]);
    const grad = ctx.empty([n]);
    // The seed's schedule in miniature: lr decays ×0.1 every 10 steps.
    const lrAt = (step: number) => 0.01 * 0.1 ** Math.floor((step - 1) / 10);
    for (let t = 1; t <= grads.length; t++) {
      ctx.write(grad, grads[t - 1]!);
      adamStep(ctx, { param, grad, m, v }, t, { lr: lrAt(t) });
    }
    const expected = oracle.adam(start, grads, lrAt);
    const moved = await param.read();
    expectClose(moved, expected, 1e-5, 'adam 25 steps');
    // The update actually moved the parameters (a no-op kernel would fail above, but say so plainly).
    expect(Math.max(...moved.map((p, i) => Math.abs(p - start[i]!)))).toBeGreaterThan(1e-3);
  });

  it('rejects a step count below 1', () => {
    const ctx = gpu();
    const t = ctx.zeros([4]);
    expect(() => adamStep(ctx, { param: t, grad: t, m: t, v: t }, 0, { lr: 0.1 })).toThrow(/step must be an integer >= 1/);
  });

  it('agrees with the oracle for a constant learning rate', async () => {
    const ctx = gpu();
    const n = 64;
    const start = randomArray(n, 7);
    const grads = Array.from({ length: 5 }, (_, t) => randomArray(n, 200 + t));
    const param = ctx.upload([n], start);
    const m = ctx.zeros([n]);
    const v = ctx.zeros([n]);
    for (let t = 1; t <= grads.length; t++) {
      const grad = ctx.upload([n], grads[t - 1]!);
      adamStep(ctx, { param, grad, m, v }, t, { lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6 });
      grad.release();
    }
    expectClose(await param.read(), oracle.adam(start, grads, 0.05, 0.8, 0.99, 1e-6), 1e-5, 'adam custom betas');
  });
});
