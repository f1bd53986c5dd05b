// Fuzz cases for PyTorch .pth and MXNet .params (run by weights-fuzz-child.ts): byte damage to
// the committed fixtures, damage to a .pth's pickle re-zipped with a valid CRC (so that it reaches
// the pickle reader rather than the CRC check), and extreme values in MXNet's header fields.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memorySource } from '../../src/io/weights/bytes.js';
import { convertMxnet } from '../../src/io/weights/mxnet.js';
import { convertTorch } from '../../src/io/weights/torch.js';
import { readStoredEntry, readZipDirectory } from '../../src/io/weights/zip.js';
import { fixture } from './weights-fixtures.js';
import { EXTREME_NUMBERS, findAll, mutateBytes, U64_EXTREMES, type Mutation } from './weights-mutations.js';
import { zipFile } from './zip-writer.js';

export interface Case {
  name: string;
  /** Runs the reader on the case; resolves when it produced weights. */
  run(n: number): Promise<unknown>;
  /** Keeps the case's input for the CLI check; returns the path to give the CLI. */
  keep(n: number): string;
}

type Next = () => number;
type Choose = (weights: number[]) => number;
const below = (next: Next, n: number) => Math.floor(next() * n);

function asCases(made: Mutation[], ext: string, upTo: number, work: string): Case[] {
  const convert = ext === 'pth' ? convertTorch : convertMxnet;
  return made.map(({ name, bytes }) => ({
    name,
    run: () => convert(memorySource(bytes, `fuzz.${ext}`), { upTo }),
    keep: (n) => {
      const path = join(work, 'samples', `${n}.${ext}`);
      writeFileSync(path, bytes);
      return path;
    },
  }));
}

export async function pthCases(total: number, next: Next, choose: Choose, upTo: number, work: string): Promise<Case[]> {
  const zip = fixture('vgg19-block1.pth');
  const legacy = fixture('vgg19-block1-legacy.pth');
  const source = memorySource(zip, 'fixture.pth');
  const entries = [...(await readZipDirectory(source)).values()];
  const contents = await Promise.all(entries.map(async (e) => ({ name: e.name, data: await readStoredEntry(source, e) })));
  const pickle = contents.find((c) => c.name.endsWith('/data.pkl'))!;
  const made: Mutation[] = [
    { name: 'empty', bytes: new Uint8Array() },
    { name: 'the zip signature alone', bytes: zip.slice(0, 4) },
    { name: 'the legacy magic alone', bytes: legacy.slice(0, 14) },
  ];
  while (made.length < total) {
    const kind = choose([3, 4, 3]);
    if (kind === 0) made.push(mutateBytes(zip, next, 4096));
    else if (kind === 1) {
      const m = mutateBytes(pickle.data, next);
      const rezipped = zipFile(contents.map((c) => (c === pickle ? { name: c.name, data: m.bytes } : c)));
      made.push({ name: `data.pkl: ${m.name}`, bytes: rezipped });
    } else made.push(mutateBytes(legacy, next, 1200)); // the pickles come first
  }
  return asCases(made, 'pth', upTo, work);
}

export function paramsCases(total: number, next: Next, choose: Choose, upTo: number, work: string): Case[] {
  const good = fixture('gluon-vgg19-block1.params');
  // Each array's header starts with its V2/V3 magic; the names are at the end.
  const headers = [...findAll(good, [0xc9, 0xfa, 0x93, 0xf9]), ...findAll(good, [0xca, 0xfa, 0x93, 0xf9])];
  const names = ['features.0.weight', 'features.0.bias', 'features.2.weight', 'features.2.bias'];
  const namesAt = good.byteLength - 8 - names.reduce((n, name) => n + 8 + name.length, 0);
  const made: Mutation[] = [
    { name: 'empty', bytes: new Uint8Array() },
    { name: 'the list magic alone', bytes: good.slice(0, 8) },
  ];
  while (made.length < total) {
    const kind = choose([4, 3, 2, 1]);
    if (kind === 0) made.push(mutateBytes(good, next, 128));
    else if (kind === 1) {
      // a header field (magic, storage type, ndim, a dimension, the context, the type flag) set to an extreme
      const at = headers[below(next, headers.length)]! + 4 * below(next, 12);
      const value = EXTREME_NUMBERS[below(next, EXTREME_NUMBERS.length)]!;
      const bytes = Uint8Array.from(good);
      new DataView(bytes.buffer).setUint32(at, value >>> 0, true);
      made.push({ name: `u32 at ${at} = ${value >>> 0}`, bytes });
    } else if (kind === 2) {
      // a count or a name length (u64) set to an extreme
      const at = [16, namesAt, namesAt + 8][below(next, 3)]!; // the arrays' count, the names' count, the first name's length
      const bytes = Uint8Array.from(good);
      new DataView(bytes.buffer).setBigUint64(at, U64_EXTREMES[below(next, U64_EXTREMES.length)]!, true);
      made.push({ name: `u64 at ${at} = extreme`, bytes });
    } else made.push(mutateBytes(good, next, good.byteLength)); // anywhere, the names included
  }
  return asCases(made, 'params', upTo, work);
}
