// Deterministic test data.

export { uniformRandom as rng } from '../../src/util/random.js';
import { uniformRandom as rng } from '../../src/util/random.js';

/** Uniform values in [-1, 1), rounded to f32 so the oracle sees exactly what the device sees. */
export function randomArray(n: number, seed: number, scale = 1): Float64Array {
  const next = rng(seed);
  return Float64Array.from({ length: n }, () => Math.fround((next() * 2 - 1) * scale));
}

/** Distinct values spaced `gap` apart in random order: no ties, no value within gap/2 of 0. */
export function distinctArray(n: number, seed: number, gap = 0.01): Float64Array {
  const values = Array.from({ length: n }, (_, i) => (i - Math.floor(n / 2) + 0.5) * gap);
  const next = rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return Float64Array.from(values, Math.fround);
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
