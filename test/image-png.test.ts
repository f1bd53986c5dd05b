import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage, type RgbaImage } from '../src/io/image.js';
import { writePng, type PngSpec } from './helpers/png-writer.js';
import { IMAGES, REPO_ROOT, sharedAvailable } from './helpers/shared.js';

/**
 * The PNG decoder before the streaming one, as the reference: pngjs, then alpha composited over
 * white exactly as src/io/image.ts did.
 */
function pngjsDecode(bytes: Uint8Array): RgbaImage {
  const decoded = PNG.sync.read(Buffer.from(bytes));
  const d = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength).slice();
  for (let i = 0; i < d.length; i += 4) {
    const alpha = d[i + 3]! / 255;
    if (alpha === 1) continue;
    for (let c = 0; c < 3; c++) d[i + c] = Math.round(d[i + c]! * alpha + 255 * (1 - alpha));
    d[i + 3] = 255;
  }
  return { width: decoded.width, height: decoded.height, data: d };
}

/** Fails with the first differing byte, not a 3-million-element diff. */
function expectSame(actual: RgbaImage, expected: RgbaImage, what: string): void {
  expect([actual.width, actual.height], what).toEqual([expected.width, expected.height]);
  expect(actual.data.length, what).toBe(expected.data.length);
  const at = actual.data.findIndex((v, i) => v !== expected.data[i]);
  expect(at === -1 ? 'identical' : `byte ${at}: ${actual.data[at]} vs ${expected.data[at]}`, what).toBe('identical');
}

/** Every kind of PNG made from one RGBA image: each colour type and depth, palettes, tRNS. */
function variants(img: RgbaImage, seed: number): Array<[string, PngSpec]> {
  const { width, height, data } = img;
  const n = width * height;
  const pick = (channels: number, f: (i: number, c: number) => number) =>
    Uint16Array.from({ length: n * channels }, (_, k) => f(Math.floor(k / channels), k % channels));
  const rgb = (i: number, c: number) => data[i * 4 + c]!;
  const alpha = (i: number) => ((i % width) * 7 + Math.floor(i / width) * 3 + seed) & 255; // every alpha, in stripes
  const gray = (i: number) => data[i * 4 + 1]!;
  const wide = (v: number, i: number) => (v << 8) | ((i * 31 + seed) & 255); // 16-bit, low byte varied
  const base = { width, height };
  const out: Array<[string, Omit<PngSpec, 'width' | 'height'>]> = [
    ['RGB 8', { colorType: 2, depth: 8, samples: pick(3, rgb) }],
    ['RGB 8 + tRNS', { colorType: 2, depth: 8, samples: pick(3, rgb), transparency: [0, 1, 2].map((c) => rgb(0, c)) }],
    ['RGBA 8', { colorType: 6, depth: 8, samples: pick(4, (i, c) => (c < 3 ? rgb(i, c) : alpha(i))) }],
    ['gray 8 + tRNS', { colorType: 0, depth: 8, samples: pick(1, gray), transparency: [gray(0)] }],
    ['gray + alpha 8', { colorType: 4, depth: 8, samples: pick(2, (i, c) => (c ? alpha(i) : gray(i))) }],
    ['RGB 16', { colorType: 2, depth: 16, samples: pick(3, (i, c) => wide(rgb(i, c), i)) }],
    [
      'RGB 16 + tRNS',
      { colorType: 2, depth: 16, samples: pick(3, (i, c) => rgb(i, c) * 257), transparency: [0, 1, 2].map((c) => rgb(0, c) * 257) },
    ],
    ['RGBA 16', { colorType: 6, depth: 16, samples: pick(4, (i, c) => wide(c < 3 ? rgb(i, c) : alpha(i), i)) }],
    ['gray 16', { colorType: 0, depth: 16, samples: pick(1, (i) => wide(gray(i), i)) }],
    ['gray + alpha 16', { colorType: 4, depth: 16, samples: pick(2, (i, c) => wide(c ? alpha(i) : gray(i), i)) }],
    [
      'palette 8 + tRNS',
      palette(
        8,
        pick(1, (i) => (rgb(i, 0) & 0xe0) | ((rgb(i, 1) >> 3) & 0x1c) | (rgb(i, 2) >> 6)),
        seed,
      ),
    ],
  ];
  for (const depth of [1, 2, 4] as const) {
    out.push([`gray ${depth}`, { colorType: 0, depth, samples: pick(1, (i) => gray(i) >> (8 - depth)) }]);
    out.push([`gray ${depth} + tRNS`, { colorType: 0, depth, samples: pick(1, (i) => gray(i) >> (8 - depth)), transparency: [1] }]);
    out.push([
      `palette ${depth} + tRNS`,
      palette(
        depth,
        pick(1, (i) => gray(i) >> (8 - depth)),
        seed,
      ),
    ]);
  }
  return out.map(([name, spec], k) => [
    `${name}${(k + seed) % 2 ? ', interlaced' : ''}`,
    { ...base, ...spec, interlaced: (k + seed) % 2 === 1, idatBytes: [undefined, 8192, 1000][(k + seed) % 3], filterOffset: k },
  ]);
}

/** A palette of 2^depth colours, the later half with tRNS alphas. */
function palette(depth: number, samples: Uint16Array, seed: number): Omit<PngSpec, 'width' | 'height'> {
  const entries = 1 << depth;
  const colours = Array.from({ length: entries * 3 }, (_, k) => (k * 97 + seed * 13) & 255);
  const transparency = Array.from({ length: Math.ceil(entries / 2) }, (_, k) => (k * 255) / Math.max(1, entries / 2 - 1));
  return { colorType: 3, depth: depth as PngSpec['depth'], samples, palette: colours, transparency: transparency.map(Math.round) };
}

describe('streaming PNG decoder', () => {
  it('decodes the PNG fixtures exactly as pngjs did', () => {
    for (const name of ['rgb8.png', 'rgb16.png', 'gray.png', 'palette.png', 'alpha.png']) {
      const bytes = readFileSync(join(REPO_ROOT, 'test', 'fixtures', name));
      expectSame(decodeImage(bytes, name), pngjsDecode(bytes), name);
    }
  });

  it('decodes every colour type, depth, filter, interlacing and IDAT split of small odd sizes exactly as pngjs did', () => {
    let cases = 0;
    const sizes: Array<[number, number]> = [
      [1, 1],
      [3, 5],
      [9, 17],
      [33, 2],
      [8, 8],
    ];
    for (const [width, height] of sizes) {
      const data = Uint8Array.from({ length: width * height * 4 }, (_, k) => (k * 37 + (k >> 2) * 11) & 255);
      for (let seed = 0; seed < 2; seed++) {
        for (const [name, spec] of variants({ width, height, data }, seed)) {
          const bytes = writePng({ ...spec, idatBytes: seed ? 1 : spec.idatBytes });
          expectSame(decodeImage(bytes, name), pngjsDecode(bytes), `${width}×${height} ${name}`);
          cases++;
        }
      }
    }
    expect(cases).toBe(5 * 2 * 20);
  });

  it('decodes the shared photos, saved as every kind of PNG, exactly as pngjs did', () => {
    if (!sharedAvailable('PNG decoder against pngjs on photos', IMAGES)) return;
    const photos = readdirSync(IMAGES).filter((f) => /\.jpe?g$/i.test(f));
    expect(photos.length).toBeGreaterThan(0);
    photos.forEach((photo, p) => {
      const img = decodeImage(readFileSync(join(IMAGES, photo)), photo);
      for (const [k, [name, spec]] of variants(img, p).entries()) {
        // Each kind on one photo (RGB and RGBA 8-bit, the usual ones, on all): pngjs is slow.
        if (k > 2 && k % photos.length !== p) continue;
        const bytes = writePng(spec);
        expectSame(decodeImage(bytes, photo), pngjsDecode(bytes), `${photo} as ${name}`);
      }
    });
  }, 120_000);
});
