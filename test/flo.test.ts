// Middlebury .flo files (src/io/flo.ts): a round trip keeps every value, hostile bytes are refused
// with a message naming the file, and the colour coding follows the Middlebury wheel.

import { describe, expect, it } from 'vitest';
import { decodeFlo, encodeFlo, FLO_MAGIC, flowToRgba } from '../src/io/flo.js';
import { UserError } from '../src/util/errors.js';
import { randomArray } from './helpers/random.js';

function header(width: number, height: number, magic = FLO_MAGIC, extra = 0): Uint8Array {
  const bytes = new Uint8Array(12 + extra);
  const view = new DataView(bytes.buffer);
  view.setFloat32(0, magic, true);
  view.setInt32(4, width, true);
  view.setInt32(8, height, true);
  return bytes;
}

describe('.flo files', () => {
  it('round-trips a planar flow through the interleaved file', () => {
    const [width, height] = [5, 3];
    const data = Float32Array.from(randomArray(2 * width * height, 11, 40));
    const bytes = encodeFlo(width, height, data);
    expect(bytes.length).toBe(12 + 8 * width * height);
    const view = new DataView(bytes.buffer);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('PIEH');
    // Pixel 1's u and v are interleaved right after pixel 0's.
    expect([view.getFloat32(20, true), view.getFloat32(24, true)]).toEqual([data[1], data[width * height + 1]]);
    const back = decodeFlo(bytes, 'f.flo');
    expect([back.width, back.height]).toEqual([width, height]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
  });

  it('refuses hostile files with a UserError naming the file', () => {
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(5), /too short/],
      [header(2, 2, 1.5, 32), /not the \.flo tag/],
      [header(0, 4), /not a picture's/],
      [header(-3, 4), /not a picture's/],
      [header(2, 2, FLO_MAGIC, 31), /takes 44 bytes, the file has 43/],
      [header(2, 2, FLO_MAGIC, 40), /takes 44 bytes, the file has 52/],
      // A header claiming 2^31−1 × 2^31−1 pixels: refused from the byte count, nothing allocated.
      [header(2 ** 31 - 1, 2 ** 31 - 1, FLO_MAGIC, 16), /cut short/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => decodeFlo(bytes, 'bad.flo')).toThrow(UserError);
      expect(() => decodeFlo(bytes, 'bad.flo')).toThrow(message);
      expect(() => decodeFlo(bytes, 'bad.flo')).toThrow(/^bad\.flo: /);
    }
  });

  it('fuzzed files: every cut, flipped byte and appended tail is refused with a UserError or decodes to its byte count', () => {
    const valid = encodeFlo(3, 2, Float32Array.from(randomArray(12, 12, 5)));
    let seed = 1;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let refused = 0;
    for (let trial = 0; trial < 300; trial++) {
      let bytes = valid.slice();
      if (trial % 3 === 0)
        bytes = bytes.subarray(0, next(bytes.length)); // cut short
      else if (trial % 3 === 1)
        bytes[next(bytes.length)] = next(256); // one byte changed
      else bytes = Uint8Array.from([...bytes, ...Array.from({ length: 1 + next(16) }, () => next(256))]); // a tail
      try {
        const flow = decodeFlo(bytes, 'fuzz.flo');
        expect(12 + 8 * flow.width * flow.height).toBe(bytes.length);
        expect(flow.data.length).toBe(2 * flow.width * flow.height);
      } catch (error) {
        expect(error).toBeInstanceOf(UserError);
        expect((error as Error).message).toMatch(/^fuzz\.flo: /);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(150); // every cut and tail, and the header flips
  });

  it('keeps the values as stored, NaN and the 1e9 "unknown" mark included (flowToRgba paints them black)', () => {
    const data = Float32Array.from([NaN, 1e10, -Infinity, 0.5, 0, 0, 0, 0]);
    const back = decodeFlo(encodeFlo(2, 2, data), 'odd.flo');
    expect(Array.from(back.data)).toEqual(Array.from(data));
    const image = flowToRgba(2, 2, back.data);
    expect(Array.from(image.data.subarray(0, 12)).filter((_, i) => i % 4 !== 3)).toEqual(Array(9).fill(0));
  });

  it('colour-codes directions on the Middlebury wheel, white at rest, darker past the maximum', () => {
    // Pixels: at rest, right, down, left, up, and right at twice the maximum magnitude.
    const u = [0, 1, 0, -1, 0, 2];
    const v = [0, 0, 1, 0, -1, 0];
    const image = flowToRgba(6, 1, Float32Array.from([...u, ...v]), 1);
    const rgb = (i: number) => Array.from(image.data.subarray(4 * i, 4 * i + 3));
    expect(rgb(0)).toEqual([255, 255, 255]);
    expect(rgb(1)).toEqual([255, 0, 0]); // right: red
    expect(rgb(3)[2]).toBeGreaterThan(200); // left: cyan-blue
    expect(rgb(3)[0]).toBeLessThan(30);
    expect(rgb(2)[1]).toBeGreaterThan(150); // down: orange-yellow
    expect(rgb(4)[2]).toBeGreaterThan(150); // up: blue-violet
    expect(rgb(5)).toEqual([191, 0, 0]); // 0.75 × red beyond the maximum
    expect(image.data[3]).toBe(255);
  });

  it('paints unknown vectors black and scales to the largest known one by default', () => {
    const image = flowToRgba(3, 1, Float32Array.from([2e9, 4, 2, 0, 0, 0]));
    expect(Array.from(image.data.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(image.data.subarray(4, 7))).toEqual([255, 0, 0]); // the largest: full saturation
    expect(image.data[8]).toBe(255); // half the maximum: half saturated red
    expect(image.data[9]).toBe(127);
  });
});
