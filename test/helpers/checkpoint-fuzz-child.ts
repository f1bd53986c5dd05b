// Reads seeded mutations of two real checkpoints (Adam and L-BFGS) the way `--resume file` does
// before any GPU work: decodeCheckpoint, the command it records (src/cli/resume.ts), the options
// read from it, and resumeState (the run's identity, then checkResumable against the optimiser's
// schema). In a process of its own for a clean maxRSS. Run by test/checkpoint-fuzz.test.ts:
//   node --import tsx test/helpers/checkpoint-fuzz-child.ts <work folder> <cases> <seed>
// The folder holds adam.png.ckpt and lbfgs.png.ckpt. Prints "case <n> <name>" before each case and,
// last, "result <json>": how the cases ended, failures, the slowest, the longest message, maxRSS in
// MiB, and a few inputs kept in <work>/samples for the parent to resume with the real CLI.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userMessage } from '../../src/cli/errors.js';
import { readOptions } from '../../src/cli/options.js';
import { resumedCommand } from '../../src/cli/resume.js';
import { decodeCheckpoint } from '../../src/io/checkpoint-file.js';
import { resumeState } from '../../src/node/stylize.js';
import type { StyleOptions } from '../../src/style/job.js';
import { UserError } from '../../src/util/errors.js';
import { joinCheckpoint, splitCheckpoint, type CheckpointHeader } from './checkpoints.js';
import { deeplyNested, mutateBytes, mutateJson, rng, type Mutation } from './weights-mutations.js';

const [work, casesArg, seedArg] = process.argv.slice(2) as [string, string, string];
const [total, seed] = [Number(casesArg), Number(seedArg)];
const FILE = 'fuzz.png.ckpt';
mkdirSync(join(work, 'samples'), { recursive: true });

const next = rng(seed);
const below = (n: number) => Math.floor(next() * n);
const pick = <T>(list: readonly T[]): T => list[below(list.length)]!;

interface Source {
  name: string;
  bytes: Uint8Array;
  header: CheckpointHeader;
  data: Uint8Array;
  headerLength: number;
}
const sources: Source[] = ['adam', 'lbfgs'].map((name) => {
  const bytes = new Uint8Array(readFileSync(join(work, `${name}.png.ckpt`)));
  return { name, bytes, ...splitCheckpoint(bytes), headerLength: new DataView(bytes.buffer).getUint32(8, true) };
});
const originals = await Promise.all(sources.map((s) => decodeCheckpoint(s.bytes, s.name)));

/** A checkpoint file from a header given as text (checksum as written) and data. */
function withHeaderText(text: string, data: Uint8Array, length?: number): Uint8Array {
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(12 + json.length + data.length);
  out.set(new TextEncoder().encode('WGSTCKPT'));
  new DataView(out.buffer).setUint32(8, length ?? json.length, true);
  out.set(json, 12);
  out.set(data, 12 + json.length);
  return out;
}

/** Data damage that a checksum made right again lets through to the optimiser: odd floats, flipped bits. */
function mutateData(data: Uint8Array): { name: string; data: Uint8Array } {
  const out = Uint8Array.from(data);
  const floats = new Float32Array(out.buffer);
  const count = 1 + below(8);
  const value = pick([NaN, Infinity, -Infinity, -1, 0, 1e38, -1e-30]);
  if (below(3) === 0) {
    for (let i = 0; i < count; i++) out[below(out.length)]! ^= 1 << below(8);
    return { name: `data: ${count} bits flipped (checksum made right)`, data: out };
  }
  for (let i = 0; i < count; i++) floats[below(floats.length)] = value;
  return { name: `data: ${count} floats set to ${value} (checksum made right)`, data: out };
}

function cases(): Array<Mutation & { source: number }> {
  const made: Array<Mutation & { source: number }> = [];
  for (const [k, s] of sources.entries()) {
    const text = JSON.stringify(s.header);
    const add = (name: string, bytes: Uint8Array) => made.push({ name: `${s.name}: ${name}`, bytes, source: k });
    const edit = (name: string, change: (h: CheckpointHeader) => void) => {
      const h = structuredClone(s.header);
      change(h);
      add(name, joinCheckpoint(h, s.data));
    };
    add('empty', new Uint8Array());
    add('the signature alone', s.bytes.slice(0, 8));
    add('one byte past the data', Uint8Array.from([...s.bytes, 0]));
    add('the last float cut off', s.bytes.slice(0, -4));
    add('header null', withHeaderText('null', s.data));
    add('header nested 100000 deep', withHeaderText(deeplyNested(100_000), s.data));
    for (const n of [0, 1, s.headerLength - 1, s.headerLength + 1, 0x7fffffff, 0xffffffff])
      add(`header length ${n}`, withHeaderText(text, s.data, n));
    const deep = structuredClone(s.header);
    deep.identity.settings.lr = 'DEEP';
    add('a setting nested 100000 deep', withHeaderText(JSON.stringify(deep).replace('"DEEP"', deeplyNested(100_000)), s.data));
    edit('a setting of 1 MB', (h) => (h.identity.settings.lr = 'x'.repeat(1 << 20)));
    edit('10000 settings added', (h) =>
      Object.assign(h.identity.settings, Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`s${i}`, i]))),
    );
    edit('the command names no images', (h) => (h.command = h.command.filter((a) => !a.endsWith('.png'))));
    edit('the command writes to ~/.bashrc', (h) =>
      h.command.push('--checkpoint', '/root/.bashrc', '--checkpoint-every', '1', '-o', '/tmp/x.png'),
    );
    edit('the command names an image of 100000 characters', (h) => h.command.unshift('y'.repeat(100_000)));
    edit('the command has 10000 styles', (h) => h.command.unshift(...Array.from({ length: 10_000 }, (_, i) => `/nowhere/${i}.png`)));
    edit('500 vectors of long names', (h) => (h.optimizer.vectors = Array.from({ length: 500 }, (_, i) => `${'v'.repeat(200)}${i}`)));
  }
  while (made.length < total) {
    const source = below(sources.length);
    const s = sources[source]!;
    const kind = below(4);
    let m: Mutation;
    if (kind === 0) m = mutateBytes(s.bytes, next, 12 + s.headerLength);
    else if (kind === 1) {
      // The header edited, the data and its checksum left valid: what reaches the checks past the checksum.
      const j = mutateJson(s.header, next, pick([[], ['optimizer'], ['identity'], ['command']]));
      m = { name: `header: ${j.name}`, bytes: withHeaderText(JSON.stringify(j.json) ?? 'undefined', s.data) };
    } else if (kind === 2) {
      const j = mutateJson(s.header, next);
      m = { name: `header, checksum made right: ${j.name}`, bytes: joinCheckpoint(j.json as CheckpointHeader, s.data) };
    } else {
      const d = mutateData(s.data);
      m = { name: d.name, bytes: joinCheckpoint(s.header, d.data) };
    }
    made.push({ name: `${s.name}: ${m.name}`, bytes: m.bytes, source });
  }
  return made;
}

/** The kind of refusal, for the tally: the message without the file, numbers and quoted values. */
function reason(message: string): string {
  return message
    .replace(/^.*?fuzz\.png\.ckpt:? /, '')
    .split(/[(;:,]/)[0]!
    .replace(/"[^"]*"|\d+/g, '#')
    .split(/\s+/)
    .slice(0, 7)
    .join(' ')
    .trim();
}

async function resumeAlone(bytes: Uint8Array, source: number): Promise<void> {
  const saved = await decodeCheckpoint(bytes, FILE);
  readOptions(resumedCommand(FILE, saved, { resume: FILE }).values);
  const original = originals[source]!;
  resumeState(saved, original.identity, original.identity.settings as unknown as StyleOptions, FILE);
}

const counts: Record<string, number> = {};
const failures: string[] = [];
const samples: Array<{ path: string; reason: string; resumable: boolean }> = [];
let slowest = { ms: 0, name: '' };
let longest = { length: 0, message: '' };
const accepted: string[] = [];
const all = cases();
for (const [n, c] of all.entries()) {
  process.stdout.write(`case ${n} ${c.name.replace(/\s+/g, ' ').slice(0, 100)}\n`);
  const start = performance.now();
  let key: string;
  try {
    await resumeAlone(c.bytes, c.source);
    key = 'resumable';
  } catch (err) {
    const message = err instanceof UserError ? (userMessage(err) ?? err.message) : null;
    if (message === null) {
      key = 'OTHER EXCEPTION';
      failures.push(`${c.name}: ${(err as Error)?.stack ?? String(err)}`);
    } else if (message.includes('\n')) {
      key = 'MULTI-LINE MESSAGE';
      failures.push(`${c.name}: ${JSON.stringify(message.slice(0, 300))}`);
    } else {
      key = `refused: ${reason(message)}`;
      if (message.length > longest.length) longest = { length: message.length, message: message.slice(0, 300) };
    }
  }
  const ms = performance.now() - start;
  if (ms > slowest.ms) slowest = { ms: Math.round(ms), name: c.name };
  counts[key] = (counts[key] ?? 0) + 1;
  if (key === 'resumable') accepted.push(c.name);
  // Kept for the real CLI: a few refusals of different kinds, and data damage that passes the checks.
  const resumable = key === 'resumable' && c.name.includes('data: ');
  const kept = samples.filter((s) => s.resumable === resumable).length;
  const wanted = resumable ? kept < 2 : key.startsWith('refused') && kept < 4 && !samples.some((s) => s.reason === key);
  if (wanted) {
    const path = join(work, 'samples', `${n}.png.ckpt`);
    writeFileSync(path, c.bytes);
    samples.push({ path, reason: key, resumable });
  }
}
const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(`result ${JSON.stringify({ cases: all.length, counts, failures, slowest, longest, maxRssMiB, samples, accepted })}\n`);
