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

/** Central differences computed on the device in f32 at the given coordinates. */
export async function deviceNumericGradient(
  f: (x: Float64Array) => Promise<number>,
  x: ArrayLike<number>,
  indices: readonly number[],
  h: number,
): Promise<number[]> {
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
  return values;
}

/** `count` coordinates: half where |reference| is largest (so sparse gradients are probed), half at random. */
export function sampleCoordinates(reference: ArrayLike<number>, count: number, seed = 7): number[] {
  const byMagnitude = Array.from({ length: reference.length }, (_, i) => i).sort(
    (a, b) => Math.abs(reference[b]!) - Math.abs(reference[a]!),
  );
  const chosen = new Set(byMagnitude.slice(0, Math.ceil(count / 2)));
  const next = rng(seed);
  for (let tries = 0; chosen.size < Math.min(count, reference.length) && tries < 10 * count; tries++) {
    chosen.add(Math.floor(next() * reference.length));
  }
  return [...chosen].sort((a, b) => a - b);
}
