// Hostile pickles for the tests: a "billion laughs" that nests a list inside itself `levels` deep
// through memo references (level k is [level k-1, level k-1], so a walk over it visits 2^levels
// lists), placed where the reader quotes it in a refusal: as a persistent id, or as a tensor size.

import { zipFile } from './zip-writer.js';

const ascii = (s: string) => [...s].map((ch) => ch.charCodeAt(0));
const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const unicode = (s: string) => [0x8c, s.length, ...ascii(s)]; // SHORT_BINUNICODE
const put = (i: number) => [0x72, ...u32(i)]; // LONG_BINPUT
const get = (i: number) => [0x6a, ...u32(i)]; // LONG_BINGET

/** Opcodes that leave the nested list on the stack, memoized as entries base..base+levels. */
export function nestedList(levels: number, base = 0): number[] {
  const ops = [0x5d, ...put(base)]; // EMPTY_LIST: level 0
  for (let k = 1; k <= levels; k++) {
    ops.push(0x30); // POP the previous level (it stays in the memo)
    ops.push(0x28, ...get(base + k - 1), ...get(base + k - 1), 0x6c, ...put(base + k)); // MARK, GET, GET, LIST
  }
  return ops;
}

export type BombPlace = 'persistent id' | 'tensor size';

/** A pickle (protocol 2) that quotes a `levels`-deep nested list where the reader refuses it. */
export function bombPickle(levels: number, place: BombPlace): Uint8Array {
  const ops = [0x80, 0x02];
  if (place === 'persistent id')
    ops.push(...nestedList(levels), 0x51); // BINPERSID of the list
  else {
    // {"w": _rebuild_tensor_v2(storage, 0, <list>, (1,), False, OrderedDict())}
    ops.push(0x7d, ...unicode('w')); // EMPTY_DICT, key
    ops.push(0x63, ...ascii('torch._utils\n_rebuild_tensor_v2\n')); // GLOBAL
    ops.push(0x28); // MARK of the argument tuple
    ops.push(0x28, ...unicode('storage'), 0x63, ...ascii('torch\nFloatStorage\n'), ...unicode('0'), ...unicode('cpu'), 0x4b, 4, 0x74, 0x51); // persistent id
    ops.push(0x4b, 0); // offset
    ops.push(...nestedList(levels, 100)); // size
    ops.push(0x4b, 1, 0x85, 0x89); // stride (1,), requires_grad False
    ops.push(0x74, 0x52, 0x73); // TUPLE, REDUCE, SETITEM
  }
  ops.push(0x2e); // STOP
  return Uint8Array.from(ops);
}

/** The pickle as a PyTorch zip .pth (archive/data.pkl, archive/byteorder). */
export function bombPth(levels: number, place: BombPlace): Uint8Array {
  return zipFile([
    { name: 'archive/data.pkl', data: bombPickle(levels, place) },
    { name: 'archive/byteorder', data: new TextEncoder().encode('little') },
  ]);
}
