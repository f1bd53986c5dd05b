// Seeded, deterministic mutations of weights files for the fuzz test: byte-level damage (bit
// flips, truncations, inserted / deleted / overwritten bytes), JSON-level damage (any field set to
// an extreme or a wrong type, removed, or grown), and extreme values in binary size fields.

import { rng } from './random.js';

export interface Mutation {
  name: string;
  bytes: Uint8Array;
}

type Next = () => number;
const pick = <T>(next: Next, list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
const below = (next: Next, n: number) => Math.floor(next() * n);

/** Numbers a size, an offset or a dimension should never be. */
export const EXTREME_NUMBERS = [
  0,
  1,
  -1,
  0.5,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  1e308,
  -1e308,
  1e-300,
];
/** Values of the wrong type or size for any JSON field. */
const EXTREME_VALUES: unknown[] = [
  ...EXTREME_NUMBERS,
  null,
  true,
  '',
  'x'.repeat(100_000),
  '../../../../etc/passwd',
  [],
  {},
  [null],
  [[1, 2], 3],
  { length: 2 ** 32 },
  'f32\n\u0000',
];

/** One byte-level mutation of `bytes`; `head` bytes at the start get half of the flips (where the structure is). */
export function mutateBytes(bytes: Uint8Array, next: Next, head = bytes.byteLength): Mutation {
  const n = bytes.byteLength;
  const out = () => Uint8Array.from(bytes);
  switch (below(next, 7)) {
    case 0:
    case 1: {
      const region = below(next, 2) === 0 ? Math.min(head, n) : n;
      const flips = 1 + below(next, 4);
      const b = out();
      const at: number[] = [];
      for (let i = 0; i < flips; i++) {
        const pos = below(next, region);
        b[pos]! ^= 1 << below(next, 8);
        at.push(pos);
      }
      return { name: `flip bits at ${at.join(',')}`, bytes: b };
    }
    case 2: {
      const length = below(next, 2) === 0 ? below(next, Math.min(head, n)) : below(next, n);
      return { name: `truncate to ${length}`, bytes: bytes.slice(0, length) };
    }
    case 3: {
      const at = below(next, n + 1);
      const extra = Uint8Array.from({ length: 1 + below(next, 16) }, () => below(next, 256));
      const b = new Uint8Array(n + extra.length);
      b.set(bytes.subarray(0, at));
      b.set(extra, at);
      b.set(bytes.subarray(at), at + extra.length);
      return { name: `insert ${extra.length} bytes at ${at}`, bytes: b };
    }
    case 4: {
      const at = below(next, n);
      const count = 1 + below(next, 64);
      const b = new Uint8Array(n - Math.min(count, n - at));
      b.set(bytes.subarray(0, at));
      b.set(bytes.subarray(at + count), at);
      return { name: `delete ${count} bytes at ${at}`, bytes: b };
    }
    case 5: {
      const at = below(next, Math.min(head, n));
      const count = 1 + below(next, 8);
      const fill = pick(next, [0x00, 0xff, -1]);
      const b = out();
      for (let i = at; i < Math.min(n, at + count); i++) b[i] = fill < 0 ? below(next, 256) : fill;
      return { name: `overwrite ${count} bytes at ${at} with ${fill < 0 ? 'random' : fill}`, bytes: b };
    }
    default: {
      const from = below(next, n);
      const to = below(next, n);
      const count = 1 + below(next, 256);
      const b = out();
      b.copyWithin(to, from, from + count);
      return { name: `copy ${count} bytes from ${from} to ${to}`, bytes: b };
    }
  }
}

/** Every path (list of keys) into a JSON value, the root excluded. */
function jsonPaths(
  value: unknown,
  prefix: Array<string | number> = [],
  out: Array<Array<string | number>> = [],
): Array<Array<string | number>> {
  if (Array.isArray(value)) value.forEach((v, i) => (out.push([...prefix, i]), jsonPaths(v, [...prefix, i], out)));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) (out.push([...prefix, k]), jsonPaths(v, [...prefix, k], out));
  return out;
}

/** One JSON-level mutation: a field (chosen among those under `under`, if given) set to an extreme, removed, or its list grown. */
export function mutateJson(json: unknown, next: Next, under: Array<string | number> = []): { name: string; json: unknown } {
  const copy = structuredClone(json) as Record<string | number, unknown>;
  const paths = jsonPaths(copy).filter((p) => under.every((k, i) => p[i] === k));
  const path = pick(next, paths);
  const parent = path.slice(0, -1).reduce<Record<string | number, unknown>>((v, k) => v[k] as Record<string | number, unknown>, copy);
  const key = path.at(-1)!;
  const where = path.join('.');
  switch (below(next, 5)) {
    case 0:
      delete parent[key];
      return { name: `remove ${where}`, json: copy };
    case 1:
      if (Array.isArray(parent[key])) {
        (parent[key] as unknown[]).push(pick(next, EXTREME_VALUES));
        return { name: `grow ${where}`, json: copy };
      }
      parent[key] = pick(next, EXTREME_NUMBERS);
      return { name: `${where} = number`, json: copy };
    case 2:
      parent[key] = pick(next, EXTREME_NUMBERS);
      return { name: `${where} = ${String(parent[key])}`, json: copy };
    default: {
      const value = pick(next, EXTREME_VALUES);
      parent[key] = value;
      return { name: `${where} = ${JSON.stringify(value).slice(0, 30)}`, json: copy };
    }
  }
}

/** A JSON text nested `depth` lists deep, for parsers and validators that recurse. */
export const deeplyNested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** A valid .bin's parts: its JSON header (parsed) and its data section. */
export function binParts(bin: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const length = new DataView(bin.buffer, bin.byteOffset).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bin.subarray(12, 12 + length))) as Record<string, unknown>;
  return { header, data: bin.subarray(Math.ceil((12 + length) / 16) * 16) };
}

/** A .bin with this header text (a hand-made one), the header length field `length` (default: the text's), and `data`. */
export function binWithHeader(text: string, data: Uint8Array, length?: number): Uint8Array {
  const json = new TextEncoder().encode(text);
  const start = Math.ceil((12 + json.length) / 16) * 16;
  const out = new Uint8Array(start + data.length);
  out.set(new TextEncoder().encode('WGPUSTYL'));
  new DataView(out.buffer).setUint32(8, length ?? json.length, true);
  out.set(json, 12);
  out.set(data, start);
  return out;
}

/** Offsets where `pattern` occurs in `bytes`. */
export function findAll(bytes: Uint8Array, pattern: readonly number[]): number[] {
  const found: number[] = [];
  for (let i = 0; i + pattern.length <= bytes.length; i++) if (pattern.every((b, j) => bytes[i + j] === b)) found.push(i);
  return found;
}

/** Little-endian u64 bytes of each value, concatenated (HDF5's dimension and size fields). */
export function u64le(values: readonly number[]): number[] {
  return values.flatMap((v) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    return [...b];
  });
}

export const U64_EXTREMES = [0n, 1n, 2n, 0xffffffffn, 0x100000000n, 1n << 40n, 1n << 62n, 1n << 63n, (1n << 64n) - 1n];

export { rng };
