// What the autotuner (autotune.ts) may skip: the shape a conv is timed at (its first rows when it is
// large), a choice reused from a tuned conv that differs only in height, and the variant families
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
 * Heights a choice is reused between: both at least REUSE_MIN_ROWS rows (a few rows' border and
 * partial tiles would weigh too much) and within REUSE_HEIGHT_RATIO of each other (4:3, 3:2 and
 * 16:9 images of one width). bench/tuning_reuse.ts measured what such a reuse costs.
 */
export const REUSE_MIN_ROWS = 16;
export const REUSE_HEIGHT_RATIO = 1.5;

/**
 * A tuned choice that holds for `shape`: one for the same N, Cin, W and Cout whose height is timed
 * at the same proxy rows (both convs taller than them: the very shape timed), or else the nearest
 * height within REUSE_HEIGHT_RATIO, both at least REUSE_MIN_ROWS. The variants tile rows and columns
 * alike, so their order changes little with the height alone.
 */
export function reusableChoice(
  choices: Record<string, string>,
  shape: ConvShape4,
  cout: number,
  proxyBytes: number,
): { key: string; variant: string } | undefined {
  const [n, cin, h, w] = shape;
  const rows = proxyRows(shape, cout, proxyBytes);
  let best: { key: string; variant: string; distance: number } | undefined;
  for (const [key, variant] of Object.entries(choices)) {
    const c = parseConvKey(key);
    if (!c || c.cout !== cout || c.shape[0] !== n || c.shape[1] !== cin || c.shape[3] !== w || c.shape[2] === h) continue;
    const other = c.shape[2];
    const sameTimed = h >= rows && other >= rows;
    const near = Math.min(h, other) >= REUSE_MIN_ROWS && Math.max(h, other) <= REUSE_HEIGHT_RATIO * Math.min(h, other);
    const distance = sameTimed ? 0 : Math.abs(Math.log(other / h));
    if ((sameTimed || near) && (!best || distance < best.distance)) best = { key, variant, distance };
  }
  return best && { key: best.key, variant: best.variant };
}

/** A variant's family: the direct kernels (with or without subgroups), Winograd F(2) or F(4) (likewise), the tiled GEMM. */
export function variantFamily(name: string): string {
  if (name.startsWith('tiled')) return 'tiled';
  const wino = /^(sg-)?wino(\d)/.exec(name);
  if (wino) return `${wino[1] ?? ''}wino${wino[2]}`;
  return name.startsWith('sg-') ? 'sg-direct' : 'direct';
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
  let evidence = 0;
  for (const [key, variant] of Object.entries(choices)) {
    const c = parseConvKey(key);
    if (!c || work(c.shape, c.cout) < least) continue;
    evidence++;
    won.add(variantFamily(variant));
  }
  if (evidence < PRUNE_EVIDENCE) return new Set();
  return new Set(families.filter((f) => f !== keep && !won.has(f)));
}
