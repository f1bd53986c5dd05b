// What the autotuner (autotune.ts) may skip: the shape a conv is timed at (its first rows when it is
// large), a choice reused from a tuned conv timed at those same rows, and the variant families
// that lost on every comparable shape already tuned on this adapter. Pure functions of the tuning
// record, so that they are tested without a device.

import { convTuningKey } from './conv3x3_variants.js';

export type ConvShape4 = readonly [number, number, number, number];

/** The fewest rows a variant is timed on, so that the zero-padded border rows weigh little. */
const PROXY_MIN_ROWS = 32;

/** The rows a conv of [n, cin, ·, w] into cout channels is timed on when it is taller: those of proxyBytes (input + output). */
export function proxyRows(shape: ConvShape4, cout: number, proxyBytes: number): number {
  const [n, cin, , w] = shape;
  return Math.max(PROXY_MIN_ROWS, Math.floor(proxyBytes / (4 * n * (cin + cout) * w)));
}

/** The convolution a tuning key of this version names, or null (another generation, not a key). */
export function parseConvKey(key: string): { shape: ConvShape4; cout: number } | null {
  const m = /^[^|]{1,40}\|(\d{1,6})x(\d{1,6})x(\d{1,6})x(\d{1,6})>(\d{1,6})$/.exec(key);
  if (!m) return null;
  const [n, cin, h, w, cout] = m.slice(1).map(Number) as [number, number, number, number, number];
  return convTuningKey([n, cin, h, w], cout) === key ? { shape: [n, cin, h, w], cout } : null;
}

/**
 * A tuned choice that holds for `shape`: one for the same N, Cin, W and Cout at another height where
 * both convs are taller than the rows a variant is timed on (proxyRows), so that the tuner would time
 * the very same shape again. (Reusing across heights within 1.5× of each other, below the proxy rows,
 * was measured and dropped: bench/tuning.ts reuse, docs/kernels.md.)
 */
export function reusableChoice(
  choices: Record<string, string>,
  shape: ConvShape4,
  cout: number,
  proxyBytes: number,
): { key: string; variant: string } | undefined {
  const [n, cin, h, w] = shape;
  const rows = proxyRows(shape, cout, proxyBytes);
  if (h < rows) return undefined;
  for (const [key, variant] of Object.entries(choices)) {
    const c = parseConvKey(key);
    if (!c || c.cout !== cout || c.shape[0] !== n || c.shape[1] !== cin || c.shape[3] !== w || c.shape[2] === h) continue;
    if (c.shape[2] >= rows) return { key, variant };
  }
  return undefined;
}

/**
 * A variant's family: the direct kernels (with or without subgroups), Winograd F(2) or F(4) (likewise,
 * and their transposed GEMMs apart: they win elsewhere), the tiled GEMM.
 */
export function variantFamily(name: string): string {
  if (name.startsWith('tiled')) return 'tiled';
  const wino = /^(sg-)?wino(\dT?)/.exec(name);
  if (wino) return `${wino[1] ?? ''}wino${wino[2]}`;
  return name.startsWith('sg-') ? 'sg-direct' : 'direct';
}

/**
 * The families pruning may judge: those whose variants are timed on every conv. One timed only where
 * it suits (the transposed GEMMs: convs over few tiles) has no record on the others to be judged
 * by, and costs little: it is never pruned.
 */
export function prunableFamilies(variants: ReadonlyArray<{ name: string; suits?: unknown }>): string[] {
  const somewhere = new Set(variants.filter((v) => v.suits).map((v) => variantFamily(v.name)));
  return [...new Set(variants.map((v) => variantFamily(v.name)))].filter((f) => !somewhere.has(f));
}

/**
 * Tuned shapes that say something of `shape`: at least a quarter of its work (N·H·W·Cin·Cout), since
 * Winograd and the GEMMs gain with size and a family that loses on small convs may win on larger.
 * Pruning waits for PRUNE_EVIDENCE of them.
 */
export const PRUNE_EVIDENCE = 8;
const EVIDENCE_WORK_FRACTION = 1 / 4;

/**
 * The families not worth timing for `shape`: those that won none of at least PRUNE_EVIDENCE
 * comparable shapes tuned on this adapter (`choices`: measured here, never borrowed). `keep` (the
 * untuned default's family) is never pruned.
 */
export function prunedFamilies(
  choices: Record<string, string>,
  shape: ConvShape4,
  cout: number,
  families: readonly string[],
  keep: string,
): Set<string> {
  const work = (s: ConvShape4, co: number) => s[0] * s[1] * s[2] * s[3] * co;
  const least = EVIDENCE_WORK_FRACTION * work(shape, cout);
  const won = new Set<string>();
  // Convs that differ only in height count once: their choices may be one timing, reused (reusableChoice).
  const evidence = new Set<string>();
  for (const [key, variant] of Object.entries(choices)) {
    const c = parseConvKey(key);
    if (!c || work(c.shape, c.cout) < least) continue;
    evidence.add(`${c.shape[0]}x${c.shape[1]}x${c.shape[3]}>${c.cout}`);
    won.add(variantFamily(variant));
  }
  if (evidence.size < PRUNE_EVIDENCE) return new Set();
  return new Set(families.filter((f) => f !== keep && !won.has(f)));
}
