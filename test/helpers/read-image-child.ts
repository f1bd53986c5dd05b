// Reads one image file as the CLI does (readImage, src/node/image-files.ts), in a process of its
// own so that its peak memory is the reader's: prints one line of JSON, { width, height, first,
// last, ms, maxRssMiB } (first and last: those pixels' RGBA), or { error } for a UserError. Used by test/image-bombs.test.ts and by hand:
//   /usr/bin/time -v node --import tsx test/helpers/read-image-child.ts <file> [<max megapixels> [<short side to reduce to>]]
// With a short side, a huge image is reduced as it decodes (src/io/decode-reduce.ts), as a run does.

import type { ReducedImage } from '../../src/io/decode-reduce.js';
import { readImage } from '../../src/node/image-files.js';
import { UserError } from '../../src/util/errors.js';

const [path, megapixels, minSide] = process.argv.slice(2);
const start = performance.now();
let result: Record<string, unknown>;
try {
  const reduce = minSide ? { minSide: Number(minSide) } : undefined;
  const image: ReducedImage = readImage(path!, { maxPixels: megapixels ? Number(megapixels) * 1e6 : undefined, reduce });
  const pixel = (i: number) => [...image.data.subarray(4 * i, 4 * i + 4)];
  const { width, height, reducedFrom } = image;
  result = { width, height, reducedFrom, first: pixel(0), last: pixel(width * height - 1) };
} catch (err) {
  if (!(err instanceof UserError)) throw err;
  result = { error: err.message };
}
const ms = Math.round(performance.now() - start);
process.stdout.write(`${JSON.stringify({ ...result, ms, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
