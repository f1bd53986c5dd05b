// The streaming baseline JPEG decoder (src/io/jpeg-decode.ts) against jpeg-js, which it replaces
// for sequential files: the same bytes out for every fixture, the shared photos, generated files
// of every sampling, restart interval and colour model, and seeded mutations of them.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../src/io/image.js';
import { decodeSequential } from '../src/io/jpeg-decode.js';
import { sequentialLayout } from '../src/io/jpeg-layout.js';
import { mutations } from './helpers/hostile-images.js';
import { randomJpeg, type JpegComponent, type RandomJpegSpec } from './helpers/jpeg-writer.js';
import { IMAGES, REPO_ROOT, sharedAvailable } from './helpers/shared.js';

const fixture = (name: string) => readFileSync(join(REPO_ROOT, 'test', 'fixtures', name));
const c = (id: number, h: number, v: number, tq = 0): JpegComponent => ({ id, h, v, tq });
const YCC_420 = [c(1, 2, 2), c(2, 1, 1, 1), c(3, 1, 1, 1)];

/** What jpeg-js makes of the bytes: its RGBA, or its error. */
function jpegJs(bytes: Uint8Array): Uint8Array | Error {
  try {
    return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100, maxMemoryUsageInMB: 1024 }).data;
  } catch (err) {
    return err as Error;
  }
}

/** What the streaming decoder makes of them: its RGBA, its error, or 'not streamed'. */
function streamed(bytes: Uint8Array): Uint8Array | Error | 'not streamed' {
  const layout = sequentialLayout(bytes);
  if (!layout) return 'not streamed';
  try {
    return decodeSequential(bytes, layout)?.data ?? 'not streamed';
  } catch (err) {
    return err as Error;
  }
}

function expectSameBytes(bytes: Uint8Array, what: string): void {
  const [ours, reference] = [streamed(bytes), jpegJs(bytes)];
  expect(ours, `${what}: streamed`).toBeInstanceOf(Uint8Array);
  expect(reference, `${what}: jpeg-js decodes it`).toBeInstanceOf(Uint8Array);
  expect(Buffer.compare(ours as Uint8Array, reference as Uint8Array), `${what}: byte-identical to jpeg-js`).toBe(0);
}

const GENERATED: Array<[string, Omit<RandomJpegSpec, 'seed'>]> = [
  ['gray', { width: 37, height: 23, components: [c(1, 1, 1)] }],
  ['gray sampled 2×2', { width: 37, height: 23, components: [c(1, 2, 2)] }],
  ['4:4:4', { width: 37, height: 23, components: [c(1, 1, 1), c(2, 1, 1, 1), c(3, 1, 1, 1)] }],
  ['4:2:0', { width: 37, height: 23, components: YCC_420 }],
  ['4:2:2', { width: 41, height: 19, components: [c(1, 2, 1), c(2, 1, 1, 1), c(3, 1, 1, 1)] }],
  ['4:4:0', { width: 41, height: 19, components: [c(1, 1, 2), c(2, 1, 1, 1), c(3, 1, 1, 1)] }],
  ['4:1:1', { width: 70, height: 20, components: [c(1, 4, 1), c(2, 1, 1, 1), c(3, 1, 1, 1)] }],
  ['3×3 luma', { width: 70, height: 53, components: [c(1, 3, 3), c(2, 1, 1, 1), c(3, 1, 1, 1)] }],
  ['mixed factors 3×1, 2×3, 1×1', { width: 70, height: 53, components: [c(1, 3, 1), c(2, 2, 3, 1), c(3, 1, 1, 1)] }],
  ['chroma sampled above luma', { width: 33, height: 33, components: [c(1, 1, 1), c(2, 2, 2, 1), c(3, 1, 1, 1)] }],
  ['scan order unlike frame order', { width: 37, height: 23, components: YCC_420, scanOrder: [2, 0, 1] }],
  ['restart every MCU', { width: 37, height: 23, components: YCC_420, restartInterval: 1 }],
  ['restart every 7 MCUs', { width: 100, height: 60, components: YCC_420, restartInterval: 7 }],
  ['gray, restart every 5 blocks', { width: 37, height: 23, components: [c(1, 1, 1)], restartInterval: 5 }],
  [
    'gray 2×2, last interval read into the padding',
    { width: 37, height: 23, components: [c(1, 2, 2)], restartInterval: 4, fillLastInterval: true },
  ],
  ['16-bit quantisation', { width: 37, height: 23, components: [c(1, 1, 1), c(2, 1, 1, 1), c(3, 1, 1, 1)], wideQuant: true }],
  ['coefficients to ±1000 (clamping)', { width: 37, height: 23, components: YCC_420, amplitude: 1000, wideQuant: true }],
  ['Adobe CMYK', { width: 37, height: 23, components: [c(1, 1, 1), c(2, 1, 1), c(3, 1, 1), c(4, 1, 1)], adobeTransform: 0 }],
  ['Adobe YCCK', { width: 37, height: 23, components: [...YCC_420, c(4, 2, 2)], adobeTransform: 2 }],
  ['RGB-flagged Adobe (jpeg-js converts from YCbCr all the same)', { width: 37, height: 23, components: YCC_420, adobeTransform: 0 }],
  ['data ending after 3 restart intervals', { width: 100, height: 60, components: YCC_420, restartInterval: 5, stopAfterMcus: 15 }],
  ['gray data ending early', { width: 100, height: 60, components: [c(1, 1, 1)], restartInterval: 13, stopAfterMcus: 26 }],
  ['1×1', { width: 1, height: 1, components: YCC_420 }],
  ['3×200', { width: 3, height: 200, components: [c(1, 1, 2), c(2, 1, 1, 1), c(3, 1, 1, 1)] }],
];

describe('baseline JPEGs decode as they stream, byte for byte as jpeg-js', () => {
  it('the baseline fixtures; the progressive one is left to jpeg-js', () => {
    for (const name of ['plain.jpg', 'gray.jpg']) expectSameBytes(fixture(name), name);
    expect(streamed(fixture('progressive.jpg'))).toBe('not streamed');
    expect(Buffer.compare(decodeImage(fixture('progressive.jpg'), 'p').data, jpegJs(fixture('progressive.jpg')) as Uint8Array)).toBe(0);
  });

  it('the shared photos', () => {
    if (!sharedAvailable('shared photos', IMAGES)) return;
    const photos = readdirSync(IMAGES).filter((f) => /\.jpe?g$/i.test(f));
    expect(photos.length).toBeGreaterThan(0);
    for (const name of photos) expectSameBytes(readFileSync(join(IMAGES, name)), name);
  });

  it.each(GENERATED)('generated: %s', (name, spec) => {
    for (const seed of [1, 2]) expectSameBytes(randomJpeg({ ...spec, seed }), `${name}, seed ${seed}`);
  });

  it('a lone 2×2-sampled component whose last restart interval stops at the image: jpeg-js reads on into EOI, and so does it', () => {
    const bytes = randomJpeg({ width: 37, height: 23, components: [c(1, 2, 2)], restartInterval: 4, seed: 1 });
    expect(jpegJs(bytes)).toBeInstanceOf(Error);
    expect(streamed(bytes)).toBeInstanceOf(Error);
  });

  it('seeded mutations: whatever it decodes, jpeg-js decodes to the same bytes; whatever it refuses, jpeg-js refuses', () => {
    const sources = {
      'plain.jpg': fixture('plain.jpg'),
      '4:2:0 with restarts': randomJpeg({ width: 37, height: 23, components: YCC_420, restartInterval: 3, seed: 5 }),
    };
    const tally = { same: 0, 'both refuse': 0, 'left to jpeg-js': 0 };
    for (const [name, source] of Object.entries(sources)) {
      for (const m of mutations(source, 'jpeg', 300, 22)) {
        let layout;
        try {
          // decodeImage calls it only after the SOI marker
          layout = m.bytes[0] === 0xff && m.bytes[1] === 0xd8 ? sequentialLayout(m.bytes) : undefined;
        } catch {
          layout = undefined; // a malformed header: decodeImage refuses it before either decoder
        }
        if (!layout || layout.width * layout.height > 4e6) {
          tally['left to jpeg-js']++;
          continue;
        }
        const [ours, reference] = [streamed(m.bytes), jpegJs(m.bytes)];
        const what = `${name}: ${m.name}`;
        if (ours === 'not streamed') tally['left to jpeg-js']++;
        else if (ours instanceof Error) {
          expect(reference, `${what}: refused (${ours.message}), but jpeg-js decodes it`).toBeInstanceOf(Error);
          tally['both refuse']++;
        } else {
          expect(reference, `${what}: jpeg-js decodes it`).toBeInstanceOf(Uint8Array);
          expect(Buffer.compare(ours, reference as Uint8Array), what).toBe(0);
          tally.same++;
        }
      }
    }
    console.log(`jpeg mutations: ${JSON.stringify(tally)}`);
    expect(tally.same).toBeGreaterThan(50);
    expect(tally['both refuse']).toBeGreaterThan(50);
  });
});
