// The checks every differentiable kernel goes through, as one reusable specification:
// forward vs the float64 oracle; backward vs the oracle's exact backward; backward vs float64
// central differences of Σ r ⊙ oracle(x); backward vs f32 central differences of the device's own
// forward (sampled); and a deliberately perturbed gradient must fail the difference checks.

import { expect, it } from 'vitest';
import type { DeviceTensor, GpuContext } from '../../src/gpu/index.js';
import { expectClose, relativeError } from './compare.js';
import { deviceNumericGradient, numericGradient, sampleCoordinates } from './gradcheck.js';
import { dot, type Shape4 } from './oracle.js';
import { randomArray } from './random.js';

export interface DifferentiableCase {
  name: string;
  /** Shape of the input the gradient is taken with respect to. */
  inputShape: readonly number[];
  outputShape: readonly number[];
  input: Float64Array;
  forward(ctx: GpuContext, x: DeviceTensor): DeviceTensor;
  backward(ctx: GpuContext, x: DeviceTensor, dy: DeviceTensor): DeviceTensor;
  oracle(x: ArrayLike<number>): ArrayLike<number>;
  oracleBackward(x: ArrayLike<number>, dy: ArrayLike<number>): ArrayLike<number>;
  /** Step for the f32 device differences; inputs must have no kink within it. */
  deviceStep?: number;
  /** Tolerances (relative to the largest reference value). */
  exactTolerance?: number;
  deviceDiffTolerance?: number;
}

export const EXACT_TOLERANCE = 2e-5;
export const DEVICE_DIFF_TOLERANCE = 2e-3;

export function describeDifferentiable(gpu: () => GpuContext, c: DifferentiableCase): void {
  const exactTol = c.exactTolerance ?? EXACT_TOLERANCE;
  const diffTol = c.deviceDiffTolerance ?? DEVICE_DIFF_TOLERANCE;
  const r = randomArray(
    c.outputShape.reduce((a, b) => a * b, 1),
    991,
  );
  const objective = (x: ArrayLike<number>) => dot(r, c.oracle(x));

  async function deviceForward(x: ArrayLike<number>): Promise<Float32Array> {
    const ctx = gpu();
    const xt = ctx.upload(c.inputShape, x);
    const y = c.forward(ctx, xt);
    const values = await y.read();
    xt.release();
    y.release();
    return values;
  }

  async function deviceBackward(): Promise<Float32Array> {
    const ctx = gpu();
    const xt = ctx.upload(c.inputShape, c.input);
    const dy = ctx.upload(c.outputShape, r);
    const dx = c.backward(ctx, xt, dy);
    const values = await dx.read();
    for (const t of [xt, dy, dx]) t.release();
    return values;
  }

  it(`${c.name}: forward matches the float64 oracle`, async () => {
    const y = await deviceForward(c.input);
    expect(y.length).toBe(r.length);
    expectClose(y, c.oracle(c.input), exactTol, `${c.name} forward`);
  });

  it(`${c.name}: backward matches the oracle's exact backward`, async () => {
    expectClose(await deviceBackward(), c.oracleBackward(c.input, r), exactTol, `${c.name} backward vs exact`);
  });

  it(`${c.name}: backward matches float64 central differences, and a perturbed gradient does not`, async () => {
    const numeric = numericGradient(objective, c.input);
    const grad = await deviceBackward();
    expectClose(grad, numeric, exactTol * 5, `${c.name} backward vs float64 differences`);
    const perturbed = perturb(grad, exactTol * 50);
    expect(relativeError(perturbed, numeric)).toBeGreaterThan(exactTol * 5);
  });

  it(`${c.name}: backward matches f32 central differences of the device forward, and a perturbed gradient does not`, async () => {
    const f = async (x: Float64Array) => dot(r, await deviceForward(x));
    const indices = sampleCoordinates(c.oracleBackward(c.input, r), 12);
    const values = await deviceNumericGradient(f, c.input, indices, c.deviceStep ?? 1e-2);
    const grad = await deviceBackward();
    const sampled = indices.map((i) => grad[i]!);
    expectClose(sampled, values, diffTol, `${c.name} backward vs f32 device differences`);
    expect(relativeError(perturb(sampled, diffTol * 10), values)).toBeGreaterThan(diffTol);
  });
}

/** A copy with its largest-magnitude entry moved by `relative` of that magnitude (absolute if all are 0). */
function perturb(values: ArrayLike<number>, relative: number): Float64Array {
  const copy = Float64Array.from(values);
  let k = 0;
  for (let i = 1; i < copy.length; i++) if (Math.abs(copy[i]!) > Math.abs(copy[k]!)) k = i;
  copy[k]! += relative * (Math.abs(copy[k]!) || 1);
  return copy;
}

export const shape4 = (s: readonly number[]): Shape4 => s as unknown as Shape4;
