// Decompression bombs under the 200-megapixel cap (issue 22): a file of a few hundred KB that
// decodes to up to 196 MP. Each is read in a process of its own (test/helpers/read-image-child.ts)
// so that its peak resident memory is the reader's; it must stay within the 8-bit RGBA output the
// run needs anyway plus MARGIN_MIB (Node and tsx alone take ~85 MiB). Measured on a 2-vCPU Zen 5:
// the decoders before the fix took 1.0–2.0 GiB at 70–100 MP and 1.2–4.5 GiB at 196 MP (PNG), and
// jpeg-js ~32 bytes a pixel (JPEG).

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { reducedMinSide } from '../src/io/decode-reduce.js';
import { JPEG_JS_MARGIN_BYTES } from '../src/io/jpeg-js.js';
import { flatJpeg, zeroPng } from './helpers/image-bombs.js';
import { REPO_ROOT } from './helpers/shared.js';

/** What a reader may hold beyond its output (the file, a few rows, Node itself). */
const MARGIN_MIB = 256;
/** A reduced read's bound: its working size (well under 1 MiB for a 64 px run) plus about 300 MiB. */
const REDUCED_MIB = 300;
/** Generous: the streaming decoders take 25–70 ns a pixel here; the old ones took up to 290. */
const NS_PER_PIXEL = 250;
/** jpeg-js takes ~400–600 ns a pixel here. */
const JPEG_JS_NS_PER_PIXEL = 2000;

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-bombs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface ReadResult {
  width?: number;
  height?: number;
  first?: number[];
  last?: number[];
  error?: string;
  reducedFrom?: { width: number; height: number };
  ms: number;
  maxRssMiB: number;
}

async function readInChild(path: string, args: string[] = []): Promise<ReadResult> {
  const child = join(REPO_ROOT, 'test', 'helpers', 'read-image-child.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, path, ...args], {
    cwd: REPO_ROOT,
    timeout: 120_000,
  });
  return JSON.parse(stdout) as ReadResult;
}

async function readBytesInChild(name: string, bytes: Uint8Array, args: string[] = []): Promise<ReadResult> {
  const path = join(work, name);
  writeFileSync(path, bytes);
  const result = await readInChild(path, args);
  rmSync(path);
  return result;
}

/** Reads `bytes` in a child and checks size, the two sample pixels, memory (within the output plus `marginMiB`) and time. */
async function expectBounded(
  name: string,
  bytes: Uint8Array,
  [width, height]: [number, number],
  pixel: number[],
  { marginMiB = MARGIN_MIB, nsPerPixel = NS_PER_PIXEL } = {},
) {
  const result = await readBytesInChild(name, bytes);
  const outputMiB = (width * height * 4) / 2 ** 20;
  const seconds = (result.ms / 1000).toFixed(1);
  const what = `${name} (${(bytes.length / 1024).toFixed(0)} KB, ${width}×${height}): ${seconds} s, ${result.maxRssMiB} MiB max RSS`;
  console.log(`image bombs: ${what} (output ${outputMiB.toFixed(0)} MiB)`);
  expect(result, what).toMatchObject({ width, height, first: pixel, last: pixel });
  expect(result.maxRssMiB, what).toBeLessThan(outputMiB + marginMiB);
  expect(result.ms, what).toBeLessThan((width * height * nsPerPixel) / 1e6);
}

const [WHITE, BLACK, GRAY] = [
  [255, 255, 255, 255],
  [0, 0, 0, 255],
  [128, 128, 128, 255],
];

describe('decompression bombs under the pixel cap are decoded within their output plus a margin', () => {
  // The worst case at full size: 1.5 MB, was 4.6 GB resident for 56 s.
  it('an all-zero 16-bit RGBA PNG of 14000×14000 (transparent: white over white)', async () => {
    await expectBounded('rgba16-196mp.png', await zeroPng(14000, 14000, 6, 16), [14000, 14000], WHITE);
  });

  it('an all-zero gray 8-bit PNG of 14000×14000', async () => {
    await expectBounded('gray-196mp.png', await zeroPng(14000, 14000, 0, 8), [14000, 14000], BLACK);
  });

  // The others at 70–100 MP: the old decoder's blow-up (2–5× the output) is as clear, at half the cost.
  it('an all-zero RGB 8-bit PNG of 10000×10000', async () => {
    await expectBounded('rgb-100mp.png', await zeroPng(10000, 10000, 2, 8), [10000, 10000], BLACK);
  });

  it('an all-zero 16-bit RGBA PNG of 8400×8400', async () => {
    await expectBounded('rgba16-70mp.png', await zeroPng(8400, 8400, 6, 16), [8400, 8400], WHITE);
  });

  it('an all-zero interlaced (Adam7) RGB 8-bit PNG of 10000×10000', async () => {
    await expectBounded('interlaced-100mp.png', await zeroPng(10000, 10000, 2, 8, true), [10000, 10000], BLACK);
  });
});

describe('baseline JPEG bombs are decoded as they stream, within their output plus the margin', () => {
  // 2 bits a block: 1.2 MB for 100 MP (jpeg-js: ~32 bytes a pixel; 6.2 GB and 88 s at 196 MP).
  it('a flat baseline RGB JPEG of 10000×10000', async () => {
    await expectBounded('flat-100mp.jpg', flatJpeg(10000, 10000, 3), [10000, 10000], GRAY);
  });
});

describe('JPEGs that jpeg-js decodes are bounded by bytes before it allocates', () => {
  it('a flat progressive JPEG of 14000×14000 (1.1 MB; ~6 GB in jpeg-js) is refused at once, naming the file, the memory and the fix', async () => {
    const result = await readBytesInChild('progressive-196mp.jpg', flatJpeg(14000, 14000, 3, true));
    console.log(`image bombs: progressive-196mp.jpg: refused in ${result.ms} ms, ${result.maxRssMiB} MiB max RSS`);
    expect(result.error).toMatch(
      /progressive-196mp\.jpg: cannot decode the image: this 14000×14000 progressive JPEG would need about \d+ MiB beyond its pixels to decode, over the 512 MiB limit; save it as a baseline JPEG or as PNG, or make it smaller$/,
    );
    expect(result.ms).toBeLessThan(2000);
    expect(result.maxRssMiB).toBeLessThan(MARGIN_MIB);
  });

  it('a flat progressive 12-megapixel JPEG still decodes, within its output plus the margin jpeg-js is allowed', async () => {
    await expectBounded('progressive-12mp.jpg', flatJpeg(4000, 3000, 3, true), [4000, 3000], GRAY, {
      marginMiB: JPEG_JS_MARGIN_BYTES / 2 ** 20,
      nsPerPixel: JPEG_JS_NS_PER_PIXEL,
    });
  });
});

describe('a bomb read for a small run is reduced as it decodes: its full-size pixels never exist', () => {
  // A 64 px run: the image is kept at a short side of reducedMinSide(64, 1) (1556×1556 here, 9.7 MB;
  // Adam7 keeps 24 bytes of sums a cell until its last pass, 58 MB), so the reader needs Node, the
  // file, a row or two and the cells; before, the whole 748 MiB RGBA output.
  const side = reducedMinSide(64, 1);
  const cases: Array<[string, () => Promise<Buffer> | Buffer, number[]]> = [
    ['rgba16-196mp.png', () => zeroPng(14000, 14000, 6, 16), WHITE],
    ['gray-196mp.png', () => zeroPng(14000, 14000, 0, 8), BLACK],
    ['interlaced-196mp.png', () => zeroPng(14000, 14000, 2, 8, true), BLACK],
    ['flat-196mp.jpg', () => flatJpeg(14000, 14000, 3), GRAY],
  ];
  for (const [name, make, pixel] of cases)
    it(`${name} (14000×14000) for a 64 px run stays under ${REDUCED_MIB} MiB`, async () => {
      const result = await readBytesInChild(name, await make(), ['200', String(side)]);
      const what = `${name} reduced: ${(result.ms / 1000).toFixed(1)} s, ${result.maxRssMiB} MiB max RSS`;
      console.log(`image bombs: ${what}`);
      const reduced = Math.ceil(14000 / Math.floor(14000 / side));
      expect(result, what).toMatchObject({
        width: reduced,
        height: reduced,
        reducedFrom: { width: 14000, height: 14000 },
        first: pixel,
        last: pixel,
      });
      expect(result.maxRssMiB, what).toBeLessThan(REDUCED_MIB);
      expect(result.ms, what).toBeLessThan((14000 * 14000 * NS_PER_PIXEL) / 1e6);
    });
});
