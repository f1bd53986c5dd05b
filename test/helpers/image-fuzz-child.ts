// Runs decodeImage on mutated fixtures and generated files (interlaced, low-depth and tRNS PNGs;
// subsampled, restart-interval and Adobe JPEGs: the streaming decoders' other paths) in a process
// of its own, so that its peak memory (maxRSS, a high-water mark) is the decoders' alone. Run by
// test/image-fuzz.test.ts:
//   node --import tsx test/helpers/image-fuzz-child.ts <seed> <cases per format> [<folder>]
// Also decodes each .jpg / .png file in <folder> (hostile files made by the test). Prints
// "case <n> <format> <name>" before each case (the parent times them) and, last, one line
// "result <json>": per format, how the cases ended; the slowest case; maxRSS in MiB.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../../src/io/image.js';
import { UserError } from '../../src/util/errors.js';
import { mutations, type Mutation } from './hostile-images.js';
import { randomJpeg } from './jpeg-writer.js';
import { writePng } from './png-writer.js';
import { REPO_ROOT } from './shared.js';

const [seedArg, perFormatArg, folder] = process.argv.slice(2);
const [seed, perFormat] = [Number(seedArg ?? 1), Number(perFormatArg ?? 300)];
const fixture = (name: string) => readFileSync(join(REPO_ROOT, 'test', 'fixtures', name));
const samples = (n: number, max: number) => Array.from({ length: n }, (_, i) => (i * 7919) % (max + 1));
const c = (id: number, h: number, v: number, tq = 0) => ({ id, h, v, tq });
/** What is mutated: the fixtures, and generated files for the streaming decoders' other paths. */
const SOURCES: Record<'jpeg' | 'png', Record<string, Uint8Array>> = {
  jpeg: {
    ...Object.fromEntries(['plain.jpg', 'progressive.jpg', 'gray.jpg'].map((name) => [name, fixture(name)])),
    '4:2:0 with restarts': randomJpeg({
      width: 37,
      height: 23,
      components: [c(1, 2, 2), c(2, 1, 1, 1), c(3, 1, 1, 1)],
      restartInterval: 3,
      seed,
    }),
    'Adobe YCCK': randomJpeg({
      width: 19,
      height: 17,
      components: [c(1, 1, 1), c(2, 1, 1), c(3, 1, 1), c(4, 1, 1)],
      adobeTransform: 2,
      seed,
    }),
    'gray 2×2, restarts': randomJpeg({ width: 21, height: 35, components: [c(1, 2, 2)], restartInterval: 2, fillLastInterval: true, seed }),
  },
  png: {
    ...Object.fromEntries(['rgb8.png', 'rgb16.png', 'palette.png', 'alpha.png', 'gray.png'].map((name) => [name, fixture(name)])),
    'interlaced 16-bit RGBA, every filter, 7-byte IDATs': writePng({
      width: 11,
      height: 9,
      colorType: 6,
      depth: 16,
      samples: samples(11 * 9 * 4, 65535),
      interlaced: true,
      idatBytes: 7,
    }),
    '2-bit gray with tRNS, interlaced': writePng({
      width: 13,
      height: 5,
      colorType: 0,
      depth: 2,
      samples: samples(13 * 5, 3),
      transparency: [2],
      interlaced: true,
    }),
    '4-bit palette with tRNS': writePng({
      width: 9,
      height: 7,
      colorType: 3,
      depth: 4,
      samples: samples(9 * 7, 5),
      palette: samples(18, 255),
      transparency: [0, 128, 255],
    }),
    '16-bit gray + alpha': writePng({ width: 7, height: 6, colorType: 4, depth: 16, samples: samples(7 * 6 * 2, 65535), filterOffset: 2 }),
  },
};

const cases: Record<'jpeg' | 'png', Mutation[]> = { jpeg: [], png: [] };
for (const kind of ['jpeg', 'png'] as const) {
  const sources = Object.entries(SOURCES[kind]);
  sources.forEach(([name, bytes], i) => {
    const count = Math.ceil(perFormat / sources.length);
    for (const m of mutations(bytes, kind, count, seed * 1000 + i)) cases[kind].push({ name: `${name}: ${m.name}`, bytes: m.bytes });
  });
}
for (const file of folder ? readdirSync(folder).sort() : []) {
  const kind = file.endsWith('.png') ? 'png' : file.endsWith('.jpg') ? 'jpeg' : undefined;
  if (kind) cases[kind].push({ name: file, bytes: readFileSync(join(folder!, file)) });
}

/** How a case ended: decoded, a UserError of some kind, or (a bug) another exception. */
function outcome(bytes: Uint8Array): string {
  try {
    const image = decodeImage(bytes, 'fuzz');
    const valid = image.width >= 1 && image.height >= 1 && image.data.length === image.width * image.height * 4;
    return valid ? 'decoded' : `invalid image ${image.width}x${image.height} with ${image.data.length} bytes`;
  } catch (err) {
    if (!(err instanceof UserError)) return `${(err as Error)?.name}: ${(err as Error)?.message}`;
    if (err.message.includes('over the limit')) return 'refused: pixel limit';
    if (err.message.includes('is damaged')) return 'refused: damaged';
    if (err.message.includes('feature this reader lacks')) return 'refused: unsupported';
    if (err.message.includes('not a JPEG or PNG')) return 'refused: not JPEG or PNG';
    return `refused: ${err.message}`;
  }
}

const counts: Record<string, Record<string, number>> = { jpeg: {}, png: {} };
const failures: string[] = [];
let slowest = { ms: 0, name: '' };
let n = 0;
for (const kind of ['jpeg', 'png'] as const) {
  for (const { name, bytes } of cases[kind]) {
    process.stdout.write(`case ${n++} ${kind} ${name}\n`);
    const start = performance.now();
    const end = outcome(bytes);
    const ms = performance.now() - start;
    if (ms > slowest.ms) slowest = { ms: Math.round(ms), name: `${kind} ${name}` };
    const key = end === 'decoded' || end.startsWith('refused:') ? end : 'OTHER EXCEPTION';
    counts[kind]![key] = (counts[kind]![key] ?? 0) + 1;
    if (key === 'OTHER EXCEPTION') failures.push(`${kind} ${name}: ${end}`);
  }
}
const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(`result ${JSON.stringify({ counts, failures, slowest, maxRssMiB })}\n`);
