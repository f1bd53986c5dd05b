// Finite-difference gradient checks by central differences of f(x) = Σ r ⊙ op(x) for a fixed
// random r: in float64 on the oracle (every coordinate) and in f32 on the device (sampled).

import { rng } from './random.js';

/** Central-difference gradient of a float64 scalar function at every coordinate of x. */
export function numericGradient(f: (x: Float64Array) => number, x: ArrayLike<number>, h = 1e-6): Float64Array {
  const probe = Float64Array.from(x);
  const grad = new Float64Array(probe.length);
  for (let i = 0; i < probe.length; i++) {
    const saved = probe[i]!;
    probe[i] = saved + h;
    const plus = f(probe);
    probe[i] = saved - h;
    const minus = f(probe);
    probe[i] = saved;
    grad[i] = (plus - minus) / (2 * h);
  }
  return grad;
}

/**
 * Central differences computed on the device in f32 at `count` sampled coordinates.
 * Returns the sampled indices and the numeric derivatives there.
 */
export async function deviceNumericGradient(
  f: (x: Float64Array) => Promise<number>,
  x: ArrayLike<number>,
  count: number,
  h: number,
  seed = 7,
): Promise<{ indices: number[]; values: number[] }> {
  const next = rng(seed);
  const all = Array.from({ length: x.length }, (_, i) => i);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const indices = all.slice(0, Math.min(count, x.length)).sort((a, b) => a - b);
  const probe = Float64Array.from(x);
  const values: number[] = [];
  for (const i of indices) {
    const saved = probe[i]!;
    probe[i] = saved + h;
    const plus = await f(probe);
    probe[i] = saved - h;
    const minus = await f(probe);
    probe[i] = saved;
    values.push((plus - minus) / (2 * h));
  }
  return { indices, values };
}
