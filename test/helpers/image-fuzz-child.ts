// Runs decodeImage on mutated fixtures in a process of its own, so that its peak memory
// (maxRSS, a high-water mark) is the decoders' alone. Run by test/image-fuzz.test.ts:
//   node --import tsx test/helpers/image-fuzz-child.ts <seed> <cases per format> [<folder>]
// Also decodes each .jpg / .png file in <folder> (hostile files made by the test). Prints "case <n> <format> <name>" before each case (the parent times them) and, last, one line
// "result <json>": per format, how the cases ended; the slowest case; maxRSS in MiB.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../../src/io/image.js';
import { UserError } from '../../src/util/errors.js';
import { mutations, type Mutation } from './hostile-images.js';
import { REPO_ROOT } from './shared.js';

const [seedArg, perFormatArg, folder] = process.argv.slice(2);
const [seed, perFormat] = [Number(seedArg ?? 1), Number(perFormatArg ?? 300)];
const fixture = (name: string) => readFileSync(join(REPO_ROOT, 'test', 'fixtures', name));
const FIXTURES = {
  jpeg: ['plain.jpg', 'progressive.jpg', 'gray.jpg'],
  png: ['rgb8.png', 'rgb16.png', 'palette.png', 'alpha.png', 'gray.png'],
} as const;

const cases: Record<'jpeg' | 'png', Mutation[]> = { jpeg: [], png: [] };
for (const kind of ['jpeg', 'png'] as const) {
  const names = FIXTURES[kind];
  names.forEach((name, i) => {
    const count = Math.ceil(perFormat / names.length);
    for (const m of mutations(fixture(name), kind, count, seed * 1000 + i))
      cases[kind].push({ name: `${name}: ${m.name}`, bytes: m.bytes });
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
