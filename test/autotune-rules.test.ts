// What the autotuner may skip (src/kernels/autotune-rules.ts): a choice reused across convs that
// differ only in height, and variant families pruned once they lost on enough comparable shapes.

import { describe, expect, it } from 'vitest';
import {
  parseConvKey,
  proxyRows,
  prunableFamilies,
  PRUNE_EVIDENCE,
  prunedFamilies,
  reusableChoice,
  variantFamily,
} from '../src/kernels/autotune-rules.js';
import { AUTOTUNE_PROXY_BYTES } from '../src/kernels/autotune.js';
import { CONV_VARIANTS, convTuningKey } from '../src/kernels/conv3x3_variants.js';

type Shape = [number, number, number, number];
const key = (shape: Shape, cout: number) => convTuningKey(shape, cout);

describe('reusing a tuned choice across heights', () => {
  // Rows a 64 -> 64 conv 512 wide is timed on: a taller one is timed on its first rows only.
  const rows = proxyRows([1, 64, 0, 512], 64, AUTOTUNE_PROXY_BYTES);
  const tall = { [key([1, 64, 3 * rows, 512], 64)]: 'sg-wino4-co32-t8' };

  it('reuses the choice of the same conv at another height when both are timed on the same first rows', () => {
    expect(reusableChoice(tall, [1, 64, rows, 512], 64, AUTOTUNE_PROXY_BYTES)).toEqual({
      key: key([1, 64, 3 * rows, 512], 64),
      variant: 'sg-wino4-co32-t8',
    });
    expect(reusableChoice(tall, [1, 64, 10 * rows, 512], 64, AUTOTUNE_PROXY_BYTES)?.variant).toBe('sg-wino4-co32-t8');
  });

  it('times again a conv shorter than those rows, whatever the ratio of the heights', () => {
    expect(reusableChoice(tall, [1, 64, rows - 1, 512], 64, AUTOTUNE_PROXY_BYTES)).toBeUndefined();
    const justShort = { [key([1, 64, rows - 1, 512], 64)]: 'co8-px8' };
    expect(reusableChoice(justShort, [1, 64, rows, 512], 64, AUTOTUNE_PROXY_BYTES)).toBeUndefined();
    const short = { [key([1, 64, 96, 128], 64)]: 'co8-px8' };
    expect(reusableChoice(short, [1, 64, 90, 128], 64, AUTOTUNE_PROXY_BYTES)).toBeUndefined();
  });

  it('times again another width, channel count or batch', () => {
    // Each at ten times the rows: tall enough to be timed on its first rows, whatever they are.
    expect(reusableChoice(tall, [1, 64, 10 * rows, 480], 64, AUTOTUNE_PROXY_BYTES)).toBeUndefined();
    expect(reusableChoice(tall, [1, 32, 10 * rows, 512], 64, AUTOTUNE_PROXY_BYTES)).toBeUndefined();
    expect(reusableChoice(tall, [1, 64, 10 * rows, 512], 32, AUTOTUNE_PROXY_BYTES)).toBeUndefined();
    expect(reusableChoice(tall, [2, 64, 10 * rows, 512], 64, AUTOTUNE_PROXY_BYTES)).toBeUndefined();
  });

  it('ignores keys of other tuning generations', () => {
    const old = key([1, 64, 3 * rows, 512], 64).replace(/\.v\d+/, '.v1');
    expect(parseConvKey(old)).toBeNull();
    expect(reusableChoice({ [old]: 'co8-px8' }, [1, 64, rows, 512], 64, AUTOTUNE_PROXY_BYTES)).toBeUndefined();
  });
});

describe('pruning variant families that lose on this adapter', () => {
  const families = prunableFamilies(CONV_VARIANTS);
  // Comparable shapes (the same work as the one tuned), each won by a direct or a Winograd F(4) variant.
  const evidence = (count: number, work = 1): Record<string, string> =>
    Object.fromEntries(
      Array.from({ length: count }, (_, i) => [key([1, 64, 16 * work, 16 + i], 64), i % 2 ? 'sg-co16-px8' : 'sg-wino4-co64-t8']),
    );

  it('names each variant family', () => {
    const all = ['sg-direct', 'direct', 'sg-wino4', 'sg-wino2', 'wino4', 'wino2', 'sg-wino4T', 'wino4T', 'tiled'];
    expect([...new Set(CONV_VARIANTS.map((v) => variantFamily(v.name)))]).toEqual(all);
  });

  it('never judges a family timed only where it suits (the transposed GEMMs, on convs over few tiles)', () => {
    expect(families).toEqual(['sg-direct', 'direct', 'sg-wino4', 'sg-wino2', 'wino4', 'wino2', 'tiled']);
  });

  it('prunes the families that won none of enough comparable shapes, never the default', () => {
    const pruned = prunedFamilies(evidence(PRUNE_EVIDENCE), [1, 64, 16, 16], 64, families, 'direct');
    expect([...pruned].sort()).toEqual(['sg-wino2', 'tiled', 'wino2', 'wino4']);
  });

  it('counts convs that differ only in height once (their choices may be one timing, reused)', () => {
    const heights = Object.fromEntries(Array.from({ length: PRUNE_EVIDENCE }, (_, i) => [key([1, 64, 16 + i, 16], 64), 'sg-co16-px8']));
    expect(prunedFamilies(heights, [1, 64, 16, 16], 64, families, 'direct').size).toBe(0);
  });

  it('prunes nothing on too little evidence', () => {
    expect(prunedFamilies(evidence(PRUNE_EVIDENCE - 1), [1, 64, 16, 16], 64, families, 'direct').size).toBe(0);
  });

  it('counts only shapes of at least a quarter of the work: a family losing on small convs may win on large ones', () => {
    expect(prunedFamilies(evidence(PRUNE_EVIDENCE), [1, 64, 16 * 5, 16], 64, families, 'direct').size).toBe(0);
    expect(prunedFamilies(evidence(PRUNE_EVIDENCE), [1, 64, 16 * 4, 16], 64, families, 'direct').size).toBe(4);
  });
});
