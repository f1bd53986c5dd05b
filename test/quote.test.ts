// src/util/quote.ts: the one way a value read from a file is quoted in a message, bounded in length
// and in work however long, deep or self-referencing the value is.

import { describe, expect, it } from 'vitest';
import { clip, quoteNames, show } from '../src/util/quote.js';

describe('show', () => {
  it('quotes a value as one line of JSON', () => {
    expect(show({ a: [1, 'x'], b: null })).toBe('{"a":[1,"x"],"b":null}');
    expect(show(undefined)).toBe('missing');
    expect(show(new Float32Array(4))).toBe('<16 bytes>');
  });

  it('cuts a long string or value to its bound', () => {
    expect(show('x'.repeat(1e6), 20)).toBe(`"${'x'.repeat(18)}…`);
    expect(
      show(
        Array.from({ length: 1e5 }, (_, i) => i),
        30,
      ),
    ).toHaveLength(30);
  });

  it('stops at cycles and at depth 8, and at its length on a list nested in itself 2^40 times', () => {
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    expect(show(cyclic)).toBe('[1,[…cycle]]');
    expect(show([[[[[[[[[[1]]]]]]]]]])).toBe('[[[[[[[[[…]]]]]]]]]');
    let laughs: unknown[] = [0];
    for (let i = 0; i < 40; i++) laughs = [laughs, laughs];
    const start = performance.now();
    expect(show(laughs, 80).length).toBeLessThanOrEqual(80);
    expect(performance.now() - start).toBeLessThan(50);
  });
});

describe('quoteNames', () => {
  it('lists at most 8 names, each cut to 24 characters', () => {
    expect(quoteNames([])).toBe('none');
    expect(quoteNames(['m', 'v'])).toBe('"m", "v"');
    const names = Array.from({ length: 1000 }, (_, i) => `${'n'.repeat(1000)}${i}`);
    expect(quoteNames(names)).toBe(
      `${Array(8)
        .fill(`"${clip('n'.repeat(30), 24)}"`)
        .join(', ')} and 992 more`,
    );
  });
});
