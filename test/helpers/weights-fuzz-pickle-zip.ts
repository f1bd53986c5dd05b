// Fuzz cases for the pickle reader and the zip readers (run by weights-fuzz-child.ts):
//   pickle: seeded pickles put into a valid .pth (valid CRC, so that they reach the pickle reader):
//     the fixture's data.pkl with its memo indices changed (a GET of a later or missing entry, of a
//     container still being built: cycles), memo-nested lists ("billion laughs", 1–64 levels) and
//     self-containing lists and dicts where the reader quotes a value, deep and wide structures.
//   zip: the stated sizes, names, counts and offsets of a .pth's zip changed, read by convertTorch;
//     and MXNet's zipped .params (weights fetch --from mxnet) with its sizes, names and compression
//     ratio changed (zeros deflated ~1000:1), taken out by extractOne and converted.
// Each case must end in weights or a one-line UserError, in seconds and a few hundred MB.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memorySource } from '../../src/io/weights/bytes.js';
import { convertMxnet } from '../../src/io/weights/mxnet.js';
import { convertTorch } from '../../src/io/weights/torch.js';
import { readStoredEntry, readZipDirectory } from '../../src/io/weights/zip.js';
import { openFileSource } from '../../src/node/weights-convert.js';
import { MAX_EXTRACTED_BYTES } from '../../src/node/weights-sources.js';
import { extractOne } from '../../src/node/zip-extract.js';
import { bombPickle, nestedList, type BombPlace } from './pickle-bombs.js';
import type { Case } from './weights-fuzz-torch-mxnet.js';
import { fixture } from './weights-fixtures.js';
import { EXTREME_NUMBERS, findAll, mutateBytes, type Mutation } from './weights-mutations.js';
import { zipFile } from './zip-writer.js';

type Next = () => number;
type Choose = (weights: number[]) => number;
const below = (next: Next, n: number) => Math.floor(next() * n);
const pick = <T>(next: Next, list: readonly T[]): T => list[below(next, list.length)]!;
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const PUT = (i: number) => [0x72, ...u32(i)]; // LONG_BINPUT
const GET = (i: number) => [0x6a, ...u32(i)]; // LONG_BINGET
const PLACES: BombPlace[] = ['persistent id', 'tensor size'];

/** The .pth fixture's entries, for re-zipping with one of them replaced. */
async function pthContents(): Promise<Array<{ name: string; data: Uint8Array }>> {
  const zip = fixture('vgg19-block1.pth');
  const source = memorySource(zip, 'fixture.pth');
  const entries = [...(await readZipDirectory(source)).values()];
  return Promise.all(entries.map(async (e) => ({ name: e.name, data: await readStoredEntry(source, e) })));
}

const withPickle = (contents: Array<{ name: string; data: Uint8Array }>, pickle: Uint8Array) =>
  zipFile(contents.map((c) => (c.name.endsWith('/data.pkl') ? { name: c.name, data: pickle } : c)));

/** Pickles that hold themselves, or nest deep or wide, where the reader must quote or walk them (built once). */
function hostilePickles(next: Next): Mutation[] {
  const selfList = [0x5d, ...PUT(0), ...GET(0), 0x61]; // EMPTY_LIST, PUT 0, GET 0, APPEND: l = [l]
  const selfDict = [0x7d, ...PUT(0), 0x8c, 1, 0x6b, ...GET(0), 0x73]; // d = {"k": d}
  const wrap = (ops: number[], at: 'persistent id' | 'value' | 'key') =>
    Uint8Array.from(
      at === 'persistent id'
        ? [0x80, 2, ...ops, 0x51, 0x2e] // BINPERSID
        : at === 'value'
          ? [0x80, 2, 0x7d, 0x8c, 1, 0x77, ...ops, 0x73, 0x2e] // {"w": ops}
          : [0x80, 2, 0x7d, ...ops, 0x8c, 1, 0x77, 0x73, 0x2e], // {ops: "w"}
    );
  return [
    ...(['persistent id', 'value', 'key'] as const).flatMap((at) => {
      const levels = 1 + below(next, 64);
      return [
        { name: `a list holding itself as a ${at}`, bytes: wrap(selfList, at) },
        { name: `a dict holding itself as a ${at}`, bytes: wrap(selfDict, at) },
        { name: `memo-nested list ${levels} levels as a ${at}`, bytes: wrap([...nestedList(levels, 7)], at) },
      ];
    }),
    {
      name: '100000 nested lists (EMPTY_LIST, APPEND)',
      bytes: wrap([0x5d, ...Array(100_000).fill([0x5d]).flat(), ...Array(100_000).fill(0x61)], 'value'),
    },
    { name: '200000 MARKs', bytes: wrap([...Array(200_000).fill(0x28), 0x5d], 'value') },
    { name: 'a list of 2^18 memo references to a list', bytes: manyGets(1 << 18) },
    { name: 'GET of an entry never put', bytes: wrap(GET(0xffffffff), 'value') },
    { name: 'PUT at index 2^32-1', bytes: wrap([0x5d, ...PUT(0xffffffff)], 'value') },
    { name: 'BINUNICODE stating 2^31 bytes', bytes: Uint8Array.from([0x80, 2, 0x58, ...u32(2 ** 31), 0x2e]) },
  ];
}

/** [l, l, ... l] (`count` memo references to one list) as a persistent id: built as bytes, not as a JS array of numbers. */
function manyGets(count: number): Uint8Array {
  const head = [0x80, 2, 0x5d, ...PUT(0), 0x28];
  const bytes = new Uint8Array(head.length + 5 * count + 3);
  bytes.set(head);
  for (let i = 0; i < count; i++) bytes.set(GET(0), head.length + 5 * i);
  bytes.set([0x65, 0x51, 0x2e], head.length + 5 * count); // APPENDS, BINPERSID, STOP
  return bytes;
}

export async function pickleCases(total: number, next: Next, choose: Choose, upTo: number, work: string): Promise<Case[]> {
  const contents = await pthContents();
  const pickle = contents.find((c) => c.name.endsWith('/data.pkl'))!.data;
  // Memo opcodes of the fixture's pickle (BINPUT q, BINGET h, with a 1-byte index; LONG_ forms j, r).
  const memo = [...findAll(pickle, [0x71]), ...findAll(pickle, [0x68]), ...findAll(pickle, [0x6a]), ...findAll(pickle, [0x72])];
  const hostile = hostilePickles(next);
  const made: Mutation[] = [];
  for (let levels = 1; levels <= 64; levels += 7)
    for (const place of PLACES) made.push({ name: `memo-nested ${levels} as ${place}`, bytes: bombPickle(levels, place) });
  while (made.length < total) {
    const kind = choose([4, 3, 2, 1]);
    if (kind === 0) {
      // A memo index changed: refers to a later entry, a missing one, or a container not finished (a cycle).
      const bytes = Uint8Array.from(pickle);
      const count = 1 + below(next, 3);
      const at: number[] = [];
      for (let i = 0; i < count; i++) {
        const op = pick(next, memo);
        bytes[op + 1] = below(next, 2) === 0 ? below(next, 8) : below(next, 256);
        if (bytes[op] === 0x71 && below(next, 3) === 0) bytes[op] = 0x68; // a PUT made a GET
        at.push(op);
      }
      made.push({ name: `data.pkl: memo indices changed at ${at.join(',')}`, bytes });
    } else if (kind === 1) made.push(pick(next, hostile));
    else if (kind === 2) {
      // A memo-nested list spliced in just before a memo opcode of the real pickle, then dropped (POP):
      // the memo is filled with a structure the reader may meet again through a changed GET.
      const op = pick(next, memo);
      const spliced = [...pickle.subarray(0, op), ...nestedList(1 + below(next, 48), 1000), 0x30, ...pickle.subarray(op)];
      const bytes = Uint8Array.from(spliced);
      made.push({ name: `data.pkl: memo-nested list spliced at ${op}`, bytes });
    } else made.push(mutateBytes(pickle, next));
  }
  return made.map(({ name, bytes }) => pthCase(name, withPickle(contents, bytes), upTo, work));
}

function pthCase(name: string, bytes: Uint8Array, upTo: number, work: string): Case {
  return {
    name,
    run: () => convertTorch(memorySource(bytes, 'fuzz.pth'), { upTo }),
    keep: (n) => {
      const path = join(work, 'samples', `${n}.pth`);
      writeFileSync(path, bytes);
      return path;
    },
  };
}

/** Offsets of a zip's headers: the local ones, the central ones, the end record. */
function zipLayout(zip: Uint8Array): { locals: number[]; centrals: number[]; end: number } {
  return {
    locals: findAll(zip, [0x50, 0x4b, 3, 4]),
    centrals: findAll(zip, [0x50, 0x4b, 1, 2]),
    end: findAll(zip, [0x50, 0x4b, 5, 6]).at(-1)!,
  };
}

/** One change to a zip's structure: a stated size, a name (its length, its bytes), a count or an offset. */
function mutateZip(zip: Uint8Array, next: Next): Mutation {
  const { locals, centrals, end } = zipLayout(zip);
  const bytes = Uint8Array.from(zip);
  const view = new DataView(bytes.buffer);
  const extreme = () => pick(next, [...EXTREME_NUMBERS, 0xffffffff, 0xfffffffe, 1 << 30]) >>> 0;
  switch (below(next, 6)) {
    case 0: {
      // compressed or uncompressed size, local and/or central
      const central = below(next, 2) === 0;
      const at = pick(next, central ? centrals : locals) + (central ? 20 : 18) + 4 * below(next, 2);
      const value = below(next, 2) === 0 ? extreme() : Math.max(0, view.getUint32(at, true) + below(next, 3) - 1);
      view.setUint32(at, value >>> 0, true);
      return { name: `${central ? 'central' : 'local'} size at ${at} = ${value}`, bytes };
    }
    case 1: {
      // a name's bytes: '..', '/', NUL, or another entry's name (duplicates)
      const c = pick(next, centrals);
      const length = view.getUint16(c + 28, true);
      const other = pick(next, centrals);
      const fill = pick(next, ['../', '/', '\0', 'x', 'dup']);
      for (let i = 0; i < length; i++)
        bytes[c + 46 + i] = fill === 'dup' ? (zip[other + 46 + i] ?? 0x78) : fill.charCodeAt(i % fill.length);
      return { name: `central name at ${c} filled with ${JSON.stringify(fill)}`, bytes };
    }
    case 2: {
      const c = pick(next, below(next, 2) === 0 ? centrals : locals);
      const at = c + (centrals.includes(c) ? 28 : 26) + 2 * below(next, 2); // name or extra length
      const value = pick(next, [0, 1, 0xffff, view.getUint16(at, true) + 1]);
      view.setUint16(at, value & 0xffff, true);
      return { name: `name/extra length at ${at} = ${value}`, bytes };
    }
    case 3: {
      const at = end + pick(next, [8, 10]);
      const value = pick(next, [0, 1, 0xffff, view.getUint16(at, true) + 1]);
      view.setUint16(at, value, true);
      return { name: `entry count at ${at} = ${value}`, bytes };
    }
    case 4: {
      const at = below(next, 2) === 0 ? end + pick(next, [12, 16]) : pick(next, centrals) + 42;
      const value = extreme();
      view.setUint32(at, value, true);
      return { name: `directory size/offset or local offset at ${at} = ${value}`, bytes };
    }
    default:
      return mutateBytes(zip, next, zip.byteLength);
  }
}

export async function zipCases(total: number, next: Next, choose: Choose, upTo: number, work: string): Promise<Case[]> {
  const pth = fixture('vgg19-block1.pth');
  const params = fixture('gluon-vgg19-block1.params');
  const zipped = zipFile([{ name: 'vgg19-ad2f660d.params', data: params, deflate: true }]);
  const zeros = (mib: number) => zipFile([{ name: 'vgg19-ad2f660d.params', data: new Uint8Array(mib << 20), deflate: true }]);
  const bombs = [1, 4, 16].map((mib) => ({ mib, zip: zeros(mib) }));
  const big = zeros(64); // the worst case kept: 64 MiB of zeros in ~64 kB
  const made: Array<Mutation & { mxnet: boolean }> = [
    { name: 'a 64 MiB zip bomb stating its size', bytes: big, mxnet: true },
    { name: 'a 64 MiB zip bomb stating 1 MiB', bytes: statedSize(big, 1 << 20), mxnet: true },
    { name: 'a 64 MiB zip bomb stating the limit', bytes: statedSize(big, MAX_EXTRACTED_BYTES), mxnet: true },
    { name: 'a 64 MiB zip bomb stating over the limit', bytes: statedSize(big, 0xfffffff0), mxnet: true },
    {
      name: 'a .pth with a 64 MiB deflated entry',
      bytes: zipFile([{ name: 'archive/data.pkl', data: new Uint8Array(64 << 20), deflate: true }]),
      mxnet: false,
    },
  ];
  while (made.length < total) {
    const kind = choose([3, 3, 2]);
    if (kind === 0) made.push({ ...mutateZip(pth, next), mxnet: false });
    else if (kind === 1) made.push({ ...mutateZip(zipped, next), mxnet: true });
    else {
      // compression ratio: zeros deflated ~1000:1, stating their size, a little less, or much less
      const { mib, zip } = pick(next, bombs);
      const stated = pick(next, [mib << 20, (mib << 20) - 1, 1024, 0]);
      made.push({
        name: `${mib} MiB of zeros (${zip.byteLength} bytes zipped) stating ${stated}`,
        bytes: statedSize(zip, stated),
        mxnet: true,
      });
    }
  }
  return made.map(({ name, bytes, mxnet }) => (mxnet ? mxnetZipCase(name, bytes, upTo, work) : pthCase(name, bytes, upTo, work)));
}

/** `weights fetch --from mxnet` after the download: the .params taken out of the zip (capped), then converted. */
function mxnetZipCase(name: string, bytes: Uint8Array, upTo: number, work: string): Case {
  return {
    name,
    run: async (n) => {
      const zip = join(work, `case-${n}.zip`);
      const params = join(work, `case-${n}.params`);
      writeFileSync(zip, bytes);
      try {
        await extractOne(zip, '.params', params, MAX_EXTRACTED_BYTES);
        const source = await openFileSource(params);
        try {
          return await convertMxnet(source, { upTo });
        } finally {
          await source.close();
        }
      } finally {
        rmSync(zip, { force: true });
        rmSync(params, { force: true });
      }
    },
    keep: (n) => {
      const path = join(work, 'samples', `${n}.zip`);
      writeFileSync(path, bytes);
      return path;
    },
  };
}

/** The single-entry archive with its uncompressed size set to `size` in the local header and the directory. */
function statedSize(archive: Uint8Array, size: number): Uint8Array {
  const out = Uint8Array.from(archive);
  const view = new DataView(out.buffer);
  view.setUint32(22, size >>> 0, true);
  view.setUint32(view.getUint32(out.byteLength - 22 + 16, true) + 24, size >>> 0, true);
  return out;
}
