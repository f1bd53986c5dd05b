// The optimisers' states as a checkpoint holds them: a state that does not fit an optimiser's
// schema is refused in one line before any use.

import { describe, expect, it } from 'vitest';
import { checkResumable, type JobState } from '../src/style/checkpoint.js';
import type { OptimizerState } from '../src/style/optimizer.js';
import type { Scale } from '../src/style/schedule.js';
import { UserError } from '../src/util/errors.js';

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
