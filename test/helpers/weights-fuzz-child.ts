// Reads mutated weights files of one format in a process of its own, so that its peak memory
// (maxRSS, a high-water mark) is the readers' alone. Run by test/weights-fuzz.test.ts:
//   node --import tsx test/helpers/weights-fuzz-child.ts <bin|tfjs|h5|pth|params|pickle|zip> <cases> <seed> <work folder> [<case>]
// With <case>, runs that case alone and keeps its input in <work folder>/samples (to debug it).
// Prints "case <n> <name>" before each case (the parent times them and stops a hang) and, last,
// one line "result <json>": how the cases ended, the slowest, maxRSS in MiB, open descriptors, and
// a few refused inputs kept in <work folder>/samples for the parent to give to the real CLI.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeWeights, encodeWeights, readHeader } from '../../src/io/weights/format.js';
import { syntheticWeights } from '../../src/io/weights/synthetic.js';
import { convertKerasH5 } from '../../src/node/keras-h5.js';
import { convertTfjsFolder } from '../../src/node/weights-files.js';
import { UserError } from '../../src/util/errors.js';
import { writeKerasH5 } from './keras-h5.js';
import { pickleCases, zipCases } from './weights-fuzz-pickle-zip.js';
import { paramsCases, pthCases, type Case } from './weights-fuzz-torch-mxnet.js';
import { tfjsModel, writeTfjsModel } from './tfjs-model.js';
import {
  binParts,
  binWithHeader,
  deeplyNested,
  EXTREME_NUMBERS,
  findAll,
  mutateBytes,
  mutateJson,
  rng,
  u64le,
  U64_EXTREMES,
  type Mutation,
} from './weights-mutations.js';

type Format = 'bin' | 'tfjs' | 'h5' | 'pth' | 'params' | 'pickle' | 'zip';
const [format, casesArg, seedArg, work, onlyArg] = process.argv.slice(2) as [Format, string, string, string, string | undefined];
const [total, seed] = [Number(casesArg), Number(seedArg)];
const UP_TO = 4; // conv1_1 and conv1_2: small files, every structure present
/** HDF5 loops on some damaged files: give up on a call after this long (the reader's default is 5 s). */
const CALL_LIMIT_MS = 2000;
mkdirSync(join(work, 'samples'), { recursive: true });

const next = rng(seed);
const choose = (weights: number[]) => {
  let r = next() * weights.reduce((a, b) => a + b, 0);
  return weights.findIndex((w) => (r -= w) < 0);
};

async function binCases(): Promise<Case[]> {
  const good = await encodeWeights(syntheticWeights(1, UP_TO));
  const headerLength = new DataView(good.buffer).getUint32(8, true);
  const { header, data } = binParts(good);
  const withHeader = (text: string, length?: number) => binWithHeader(text, data, length);
  const made: Mutation[] = [
    { name: 'the magic alone (8 bytes)', bytes: good.slice(0, 8) },
    { name: '100 random bytes', bytes: Uint8Array.from({ length: 100 }, () => Math.floor(next() * 256)) },
    { name: 'empty', bytes: new Uint8Array() },
    { name: 'header null', bytes: withHeader('null') },
    { name: 'header without tensors', bytes: withHeader(JSON.stringify({ ...header, tensors: undefined })) },
    { name: 'input null', bytes: withHeader(JSON.stringify({ ...header, input: null })) },
    { name: 'header nested 100000 deep', bytes: withHeader(deeplyNested(100_000)) },
    ...[0, 1, headerLength - 1, headerLength + 1, 0x7fffffff, 0xffffffff].map((n) => ({
      name: `header length ${n}`,
      bytes: withHeader(JSON.stringify(header), n),
    })),
  ];
  while (made.length < total) {
    const kind = choose([4, 5, 1]);
    if (kind === 0) made.push(mutateBytes(good, next, 12 + headerLength));
    else if (kind === 1) {
      const m = mutateJson(header, next);
      made.push({ name: m.name, bytes: withHeader(JSON.stringify(m.json) ?? 'undefined') });
    } else {
      const n = EXTREME_NUMBERS[Math.floor(next() * EXTREME_NUMBERS.length)]!;
      made.push({ name: `header length field ${n}`, bytes: withHeader(JSON.stringify(header), n >>> 0) });
    }
  }
  return made.map(({ name, bytes }) => ({
    name,
    run: async () => {
      readHeader(bytes, 'fuzz.bin'); // what `weights info` reads: must fail as cleanly as the full decode
      return decodeWeights(bytes, 'fuzz.bin');
    },
    keep: (n) => {
      const path = join(work, 'samples', `${n}.bin`);
      writeFileSync(path, bytes);
      return path;
    },
  }));
}

async function tfjsCases(): Promise<Case[]> {
  const model = tfjsModel(UP_TO);
  const text = JSON.stringify(model.json);
  const made: Array<{ name: string; json: string; shards: Map<string, Uint8Array> }> = [
    ...['null', '[]', '"model"', '{}', '{"weightsManifest":{}}', '{"weightsManifest":[null]}', deeplyNested(100_000)].map((json) => ({
      name: `model.json ${json.slice(0, 30)}`,
      json,
      shards: model.shards,
    })),
  ];
  while (made.length < total) {
    const kind = choose([3, 5, 3, 1]);
    if (kind === 0) {
      const m = mutateBytes(new TextEncoder().encode(text), next);
      made.push({ name: `model.json: ${m.name}`, json: new TextDecoder().decode(m.bytes), shards: model.shards });
    } else if (kind === 1 || kind === 3) {
      const m = mutateJson(model.json, next, kind === 1 ? ['weightsManifest'] : []);
      made.push({ name: `model.json: ${m.name}`, json: JSON.stringify(m.json) ?? '', shards: model.shards });
    } else {
      const names = [...model.shards.keys()];
      const shard = names[Math.floor(next() * names.length)]!;
      const m = mutateBytes(model.shards.get(shard)!, next, 64);
      made.push({ name: `${shard}: ${m.name}`, json: text, shards: new Map([...model.shards, [shard, m.bytes]]) });
    }
  }
  return made.map(({ name, json, shards }) => {
    const dir = (n: number) => join(work, `tfjs-${n}`);
    return {
      name,
      run: async (n) => {
        try {
          return await convertTfjsFolder(writeTfjsModel(dir(n), { json: model.json, shards }, json), UP_TO);
        } finally {
          rmSync(dir(n), { recursive: true, force: true });
        }
      },
      keep: (n) => writeTfjsModel(join(work, 'samples', `tfjs-${n}`), { json: model.json, shards }, json),
    };
  });
}

async function h5Cases(): Promise<Case[]> {
  const fixture = join(work, 'fixture.h5');
  await writeKerasH5(fixture, UP_TO, 'new');
  const good = new Uint8Array(readFileSync(fixture));
  const dims = [...findAll(good, u64le([3, 3, 3, 64])), ...findAll(good, u64le([3, 3, 64, 64]))];
  const floatSizes = findAll(good, [0x11, 0x20, 0x1f, 0x00, 0x04, 0, 0, 0]).map((at) => at + 4);
  const heap = findAll(good, [...new TextEncoder().encode('GCOL')])[0] ?? -1;
  if (dims.length === 0 || floatSizes.length === 0 || heap < 0)
    throw new Error('the fixture has no kernel dimensions, float32 datatype or global heap to mutate');
  const looping = Uint8Array.from(good);
  looping[heap + 129]! ^= 1; // found by this fuzzer: HDF5 never returns from reading weight_names
  const made: Mutation[] = [
    { name: 'first half', bytes: good.slice(0, good.length >> 1) },
    { name: 'the global heap bit that loops HDF5', bytes: looping },
  ];
  while (made.length < total) {
    const kind = choose([6, 2, 1, 1]);
    if (kind === 0) made.push(mutateBytes(good, next, 4096));
    else if (kind === 3) {
      // The global heap holds the weight_names strings; damage there has sent HDF5 into loops.
      const at = heap + Math.floor(next() * 1024);
      const bytes = Uint8Array.from(good);
      bytes[at]! ^= 1 << Math.floor(next() * 8);
      made.push({ name: `flip a bit at ${at} in the global heap`, bytes });
    } else if (kind === 1) {
      const at = dims[Math.floor(next() * dims.length)]! + 8 * Math.floor(next() * 4);
      const value = U64_EXTREMES[Math.floor(next() * U64_EXTREMES.length)]!;
      const bytes = Uint8Array.from(good);
      new DataView(bytes.buffer).setBigUint64(at, value, true);
      made.push({ name: `dimension at ${at} = ${value}`, bytes });
    } else {
      const at = floatSizes[Math.floor(next() * floatSizes.length)]!;
      const value = [0, 1, 2, 3, 8, 16, 0xffff, 0xffffffff][Math.floor(next() * 8)]!;
      const bytes = Uint8Array.from(good);
      new DataView(bytes.buffer).setUint32(at, value, true);
      made.push({ name: `float size at ${at} = ${value}`, bytes });
    }
  }
  return made.map(({ name, bytes }) => ({
    name,
    // A new file (a new inode) per case: HDF5 shares an open file's state by identity.
    run: async (n) => {
      const path = join(work, `case-${n}.h5`);
      writeFileSync(path, bytes);
      try {
        return await convertKerasH5(path, { upTo: UP_TO, callLimitMs: CALL_LIMIT_MS });
      } finally {
        rmSync(path, { force: true });
      }
    },
    keep: (n) => {
      const path = join(work, 'samples', `${n}.h5`);
      writeFileSync(path, bytes);
      return path;
    },
  }));
}

/** The kind of refusal, for the tally: the message without the file, numbers and quoted values. */
function reason(err: UserError): string {
  const text = err.message.replace(/^.*?(fuzz\.bin|fuzz\.pth|fuzz\.params|model\.json|case-\d+\.(h5|zip|params)): /, '');
  const kind = text
    .split(/[(;:,]/)[0]!
    .replace(/"[^"]*"|\[[^\]]*\]|\d+/g, '#')
    .split(/\s+/)
    .slice(0, 7)
    .join(' ')
    .trim();
  const trap = err.cause instanceof WebAssembly.RuntimeError ? ' [wasm trap]' : '';
  return `${err.name}: ${kind}${trap}`;
}

const builders: Record<Format, () => Promise<Case[]> | Case[]> = {
  bin: binCases,
  tfjs: tfjsCases,
  h5: h5Cases,
  pth: () => pthCases(total, next, choose, UP_TO, work),
  params: () => paramsCases(total, next, choose, UP_TO, work),
  pickle: () => pickleCases(total, next, choose, UP_TO, work),
  zip: () => zipCases(total, next, choose, UP_TO, work),
};
const cases = await builders[format]();
const counts: Record<string, number> = {};
const failures: string[] = [];
const samples: Array<{ path: string; reason: string }> = [];
let slowest = { ms: 0, name: '' };
for (const [n, c] of cases.entries()) {
  if (onlyArg !== undefined && n !== Number(onlyArg)) continue;
  if (onlyArg !== undefined) process.stdout.write(`kept ${c.keep(n)}\n`);
  process.stdout.write(`case ${n} ${c.name.replace(/\s+/g, ' ').slice(0, 100)}\n`);
  const start = performance.now();
  let key: string;
  try {
    await c.run(n);
    key = 'read: valid weights';
  } catch (err) {
    if (!(err instanceof UserError)) {
      key = 'OTHER EXCEPTION';
      failures.push(`${c.name}: ${(err as Error)?.stack ?? String(err)}`);
    } else if (err.message.includes('\n')) {
      key = 'MULTI-LINE MESSAGE';
      failures.push(`${c.name}: ${JSON.stringify(err.message)}`);
    } else {
      key = `refused: ${reason(err)}`;
      if (samples.length < 3 && !samples.some((s) => s.reason === key)) samples.push({ path: c.keep(n), reason: key });
    }
  }
  const ms = performance.now() - start;
  if (ms > slowest.ms) slowest = { ms: Math.round(ms), name: c.name };
  counts[key] = (counts[key] ?? 0) + 1;
}
const openFds = existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : null;
const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(`result ${JSON.stringify({ format, cases: cases.length, counts, failures, slowest, maxRssMiB, openFds, samples })}\n`);
