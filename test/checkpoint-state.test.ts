// The optimisers' states as a checkpoint holds them: a step stopped midway leaves the state as it
// was before the step (so a run resumed from it makes the same evaluations as one never stopped),
// and a state that does not fit an optimiser's schema is refused in one line before any use.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/gpu/index.js';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint-file.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { readCheckpoint, stylize, type StylizeOptions } from '../src/node/stylize.js';
import { checkResumable, type JobState } from '../src/style/job-state.js';
import { Lbfgs, type LbfgsSettings } from '../src/optim/lbfgs.js';
import type { Objective, OptimizerState } from '../src/optim/types.js';
import type { Scale } from '../src/style/job-types.js';
import { UserError } from '../src/util/errors.js';
import { useGpu } from './helpers/gpu.js';
import { HostObjective, type HostFunction } from './helpers/lbfgs-device.js';
import { picture } from './helpers/pictures.js';

const N = 48;
const A = Array.from({ length: N }, (_, i) => 1 + (19 * i) / (N - 1));
const C = Array.from({ length: N }, (_, i) => Math.cos(1.3 * i));
const X0 = Array.from({ length: N }, (_, i) => Math.fround(0.5 * Math.sin(0.7 * i + 0.2)));
/** A diagonal quadratic plus a quartic, so that the strong Wolfe search brackets and zooms. */
const fn: HostFunction = (x) => ({
  f: x.reduce((s, v, i) => s + 0.5 * A[i]! * (v - C[i]!) ** 2 + 0.25 * (v - C[i]!) ** 4, 0),
  g: x.map((v, i) => A[i]! * (v - C[i]!) + (v - C[i]!) ** 3),
});
const SCALE: Scale = { width: N, height: 1, steps: 12, lrDecayEvery: 12 };

/**
 * L-BFGS as the style job drives it for one scale of `SCALE.steps` evaluations, from `from` (a
 * saved image, state and step count); stops when `stopAfter` evaluations of this run were made,
 * handing back what the job's checkpoint would hold: the image, the state and the step before the stopped step.
 */
async function drive(
  ctx: GpuContext,
  settings: LbfgsSettings,
  from: { image: ArrayLike<number>; step: number; state?: OptimizerState },
  stopAfter = Infinity,
): Promise<{ image: Float32Array; step: number; state: OptimizerState; stopped: boolean }> {
  const image = ctx.upload([1, 1, 1, N], from.image, 'x');
  const host = new HostObjective(ctx, image, fn);
  const objective: Objective = {
    get stopping() {
      return host.evaluations >= stopAfter;
    },
    evaluate: async () => {
      const ev = await host.evaluate();
      return ev;
    },
  };
  const lbfgs = new Lbfgs(ctx, settings);
  lbfgs.begin(image, SCALE, from.state && { step: from.step, state: from.state });
  let step = from.step;
  let stopped = false;
  try {
    while (step < SCALE.steps) {
      const before = host.evaluations;
      const end = await lbfgs.step(objective, SCALE.steps - step);
      if (end === 'aborted') {
        stopped = true;
        break;
      }
      step += host.evaluations - before;
      if (end) break;
    }
    return { image: await image.read(), step, state: await lbfgs.state(), stopped };
  } finally {
    lbfgs.end();
    image.release();
  }
}

describe('a stopped L-BFGS step leaves the state a resumed run can go on from', () => {
  const gpu = useGpu();
  const settings: LbfgsSettings = { kind: 'lbfgs', history: 4, lineSearch: 'strong-wolfe', lr: 1 };

  it('stopped within the first step of a scale (after its first evaluation, in the line search), it resumes to the same image', async () => {
    const ctx = gpu();
    const whole = await drive(ctx, settings, { image: X0, step: 0 });
    expect(whole.stopped).toBe(false);
    for (const stopAfter of [1, 2]) {
      const stopped = await drive(ctx, settings, { image: X0, step: 0 }, stopAfter);
      expect(stopped.stopped, `stop after ${stopAfter}`).toBe(true);
      // The stopped step counts for nothing: its state is the one before it, with no gradient yet.
      expect(stopped.step).toBe(0);
      expect(Object.keys(stopped.state.vectors), `stop after ${stopAfter}`).toEqual([]);
      expect(Array.from(stopped.image)).toEqual(Array.from(Float32Array.from(X0)));
      const resumed = await drive(ctx, settings, stopped);
      expect(Array.from(resumed.image), `stop after ${stopAfter}`).toEqual(Array.from(whole.image));
    }
  });

  it('stopped within a later step, it resumes to the same image', async () => {
    const ctx = gpu();
    const whole = await drive(ctx, settings, { image: X0, step: 0 });
    const stopped = await drive(ctx, settings, { image: X0, step: 0 }, 7);
    expect(stopped.stopped).toBe(true);
    expect(stopped.step).toBeGreaterThan(0);
    const resumed = await drive(ctx, settings, stopped);
    expect(Array.from(resumed.image)).toEqual(Array.from(whole.image));
  });
});

describe('the style job: stopped during the first evaluation of scale 2 (L-BFGS, strong Wolfe)', () => {
  const gpu = useGpu();
  const work = mkdtempSync(join(tmpdir(), 'wgpu-style-checkpoint-state-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('its checkpoint (scale 2, step 0) resumes to the same image as a run never stopped (issue 22: Ctrl-C just after a scale ended)', async () => {
    const steps = 6;
    const run: StylizeOptions = {
      content: picture(40, 30, 'content'),
      styles: [picture(32, 32, 'style')],
      weights: syntheticWeights(5),
      context: gpu(),
      ...{ size: 48, scales: 2, steps, tvWeight: 1, optimizer: 'lbfgs', lineSearch: 'strong-wolfe', autotune: false },
    };
    const whole = await stylize(run);
    // The job asks whether to stop once before each step, the line search before each trial: armed
    // when scale 1 ends, this says no before scale 2's first step and yes at its first trial, that
    // is, once the first evaluation of scale 2 is made (where the Ctrl-C of the issue landed).
    let armed = false;
    let asked = 0;
    const signal = {
      get aborted() {
        return armed && ++asked > 1;
      },
    } as unknown as AbortSignal;
    const file = join(work, 'stopped.png.ckpt');
    const stopped = await stylize({
      ...run,
      signal,
      checkpoint: { path: file, every: 1000 },
      printEvery: 1,
      onProgress: (p) => (armed ||= p.scale === 1 && p.step === steps),
    });
    expect(stopped.stopped).toBe('aborted');
    const saved = await readCheckpoint(file);
    expect([saved.state.scale, saved.state.step]).toEqual([2, 0]);
    // Nothing of the stopped step is kept: no gradient, so the resumed run evaluates it again.
    expect(Object.keys(saved.state.optimizer.vectors)).toEqual([]);
    const resumed = await stylize({ ...run, resume: file });
    expect(resumed.stopped).toBeNull();
    expect(Buffer.from(resumed.image.data).equals(Buffer.from(whole.image.data))).toBe(true);
  });
});

describe('a saved state that does not fit the optimiser is refused in one line, before any use', () => {
  const scales: Scale[] = [{ width: 4, height: 3, steps: 6, lrDecayEvery: 6 }];
  const plane = () => new Float32Array(36);
  const state = (optimizer: OptimizerState, step = 2): JobState => ({
    ...{ scale: 1, step, evaluations: step, width: 4, height: 3, image: plane(), optimizer, tuning: {} },
  });
  const adam = (vectors: Record<string, Float32Array> = { m: plane(), v: plane() }, numbers = {}): OptimizerState => ({
    kind: 'adam',
    vectors,
    numbers,
  });
  const lbfgsPlan = { kind: 'lbfgs', history: 2, lineSearch: 'none' } as const;
  const lbfgs = (numbers: Record<string, number | number[]>, names = ['s0', 'y0', 'grad', 'direction']): OptimizerState => ({
    kind: 'lbfgs',
    vectors: Object.fromEntries(names.map((n) => [n, plane()])),
    numbers: { iteration: 2, loss: 1, gradNorm1: 1, t: 1, gamma: 1, ys: [0.5], ...numbers },
  });
  const refusal = (s: JobState, plan: Parameters<typeof checkResumable>[2]): string => {
    try {
      checkResumable(s, scales, plan, 'saved.png.ckpt');
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      const message = (err as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toMatch(/^saved\.png\.ckpt: .*; start the run again without --resume$/);
      return message;
    }
    throw new Error('accepted');
  };

  it('a file with bytes past the data is called that, not truncated (issue 22)', async () => {
    const identity = { settings: {}, inputs: {}, weights: '' };
    const good = await encodeCheckpoint({ state: state(adam()), identity, command: [] });
    const decode = (bytes: Uint8Array) => decodeCheckpoint(bytes, 'saved.png.ckpt');
    expect((await decode(good)).state.step).toBe(2);
    await expect(decode(Uint8Array.from([...good, 1, 2, 3]))).rejects.toThrow(
      /saved\.png\.ckpt: not a usable wgpu-style checkpoint \(it should hold 432 bytes of data .*, it holds 435: 3 trailing bytes follow the data\)/,
    );
    await expect(decode(good.subarray(0, -3))).rejects.toThrow(/it holds 429: it is truncated\)/);
  });

  it('names a step the schedule lacks, in words that agree with one scale', () => {
    expect(refusal(state(adam(), 7), undefined)).toMatch(
      /it is at scale 1, step 7, which this run's schedule \(1 scale of 6 steps\) does not have/,
    );
  });

  it('accepts the states the optimisers write', () => {
    expect(() => checkResumable(state(adam()), scales, undefined)).not.toThrow();
    expect(() => checkResumable(state(lbfgs({})), scales, lbfgsPlan)).not.toThrow();
    expect(() =>
      checkResumable(state(lbfgs({ iteration: 0, ys: [] }, [])), scales, { ...lbfgsPlan, lineSearch: 'strong-wolfe' }),
    ).not.toThrow();
  });

  it('Adam: other vectors, numbers, a negative second moment, another optimiser', () => {
    expect(refusal(state(adam({ a: plane(), b: plane() })), undefined)).toMatch(/its Adam vectors should be "m", "v"; it has "a", "b"/);
    expect(refusal(state(adam({ m: plane(), v: plane(), w: plane() })), undefined)).toMatch(/it has "m", "v", "w"/);
    expect(refusal(state(adam(undefined, { t: 3 })), undefined)).toMatch(/Adam keeps no numbers; it has "t"/);
    expect(refusal(state(adam({ m: plane(), v: plane().fill(-1) })), undefined)).toMatch(/second moment v has values below 0/);
    expect(refusal(state(adam({ m: plane(), v: plane().fill(NaN) })), undefined)).toMatch(/second moment v/);
    expect(refusal(state(adam()), lbfgsPlan)).toMatch(/made with --optimizer adam, this run uses lbfgs/);
    expect(refusal({ ...state(adam()), evaluations: 1 }, undefined)).toMatch(/counts 1 evaluations in all, fewer than the 2 of its scale/);
  });

  it('L-BFGS: numbers missing or out of range, more pairs than the history or the iterations, vectors missing', () => {
    expect(refusal(state(lbfgs({ gamma: 0 })), lbfgsPlan)).toMatch(/loss, gradient norm, step length or γ is out of range/);
    expect(refusal(state(lbfgs({ iteration: 3 })), lbfgsPlan)).toMatch(/iteration should be a whole number from 0 to the step \(2\)/);
    expect(refusal(state(lbfgs({ ys: [0] })), lbfgsPlan)).toMatch(/y·s values should each be a number above 1e-10/);
    expect(refusal(state(lbfgs({ ys: [1, 1, 1] }, ['s0', 'y0', 's1', 'y1', 's2', 'y2', 'grad', 'direction']), 6), lbfgsPlan)).toMatch(
      /holds 3 L-BFGS pairs after 2 iterations; this run keeps at most 2/,
    );
    expect(refusal(state(lbfgs({}, ['s0', 'y0', 'grad'])), lbfgsPlan)).toMatch(
      /vectors should be "s0", "y0", "grad", "direction"; it has "s0", "y0", "grad"/,
    );
    const numbers = lbfgs({}).numbers;
    delete numbers.t;
    expect(refusal(state({ ...lbfgs({}), numbers }), lbfgsPlan)).toMatch(/numbers should be iteration, loss, gradNorm1, t, gamma, ys/);
    // Hundreds of names are quoted a few at a time, each cut short: the message stays one short line.
    const many = Array.from({ length: 500 }, (_, i) => `${'x'.repeat(100)}${i}`);
    expect(refusal(state(adam(Object.fromEntries(many.map((n) => [n, plane()])))), undefined).length).toBeLessThan(400);
  });
});
