// The zip container of torch.save (since PyTorch 1.6) and of MXNet's model-zoo downloads, read
// lazily: the central directory says where each entry lies, and only the entries asked for are
// read. Zip64 records are followed (archives over 4 GB, or with over 65535 entries). Stored
// entries are read here; a deflated one is handed to the caller's inflater.

import { readAt, type ByteSource } from './bytes.js';
import { show } from '../../util/quote.js';
import { ConvertError } from './convert-error.js';

export interface ZipEntry {
  name: string;
  /** 0: stored, 8: deflated. */
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Where its local header starts. */
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

export function isZip(head: Uint8Array): boolean {
  return head.byteLength >= 4 && view(head).getUint32(0, true) === LOCAL;
}

/** Every entry of the archive, by name. */
export async function readZipDirectory(source: ByteSource): Promise<Map<string, ZipEntry>> {
  const fail = (problem: string): never => {
    throw new ConvertError(`${source.name}: ${problem}; the zip archive is corrupt or truncated. Download or save it again.`);
  };
  // The end record is the last 22 bytes unless a comment follows it (up to 65535 bytes): look near the end first.
  let tail: Uint8Array = new Uint8Array(0);
  let tailStart = 0;
  let at = -1;
  for (const length of [Math.min(source.size, 1024), Math.min(source.size, 22 + 0xffff)]) {
    if (length <= tail.byteLength) break;
    tailStart = source.size - length;
    tail = await readAt(source, tailStart, length, 'the zip directory');
    for (let i = tail.byteLength - 22; i >= 0 && at < 0; i--) if (view(tail).getUint32(i, true) === EOCD) at = i;
    if (at >= 0) break;
  }
  if (at < 0) fail('no end-of-directory record');
  const eocd = view(tail.subarray(at));
  let count = eocd.getUint16(10, true);
  let directorySize = eocd.getUint32(12, true);
  let directoryOffset = eocd.getUint32(16, true);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    ({ count, directorySize, directoryOffset } = await zip64End(source, tailStart + at, fail));
  }
  if (directoryOffset + directorySize > source.size || count * 46 > directorySize)
    fail(`its directory (${count} entries, ${directorySize} bytes at ${directoryOffset}) does not fit the file's ${source.size} bytes`);
  const directory = await readAt(source, directoryOffset, directorySize, 'the zip directory');
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    const { entry, next } = centralEntry(directory, p, fail);
    if (entry.localOffset + 30 + entry.compressedSize > source.size) fail(`entry ${show(entry.name)} lies past the end`);
    entries.set(entry.name, entry);
    p = next;
  }
  return entries;
}

async function zip64End(source: ByteSource, eocdAt: number, fail: (problem: string) => never) {
  if (eocdAt < 20) fail('no zip64 locator');
  const locator = view(await readAt(source, eocdAt - 20, 20, 'the zip64 locator'));
  if (locator.getUint32(0, true) !== ZIP64_LOCATOR) fail('no zip64 locator');
  const at = Number(locator.getBigUint64(8, true));
  const record = view(await readAt(source, at, 56, 'the zip64 directory record'));
  if (record.getUint32(0, true) !== ZIP64_EOCD) fail('no zip64 directory record');
  const big = (offset: number) => {
    const v = record.getBigUint64(offset, true);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? fail(`a zip64 field holds ${v}`) : Number(v);
  };
  return { count: big(32), directorySize: big(40), directoryOffset: big(48) };
}

function centralEntry(directory: Uint8Array, p: number, fail: (problem: string) => never): { entry: ZipEntry; next: number } {
  if (p + 46 > directory.byteLength) fail('its directory ends early');
  const d = view(directory.subarray(p));
  if (d.getUint32(0, true) !== CENTRAL) fail(`its directory has no entry header at byte ${p}`);
  const nameLength = d.getUint16(28, true);
  const extraLength = d.getUint16(30, true);
  const next = p + 46 + nameLength + extraLength + d.getUint16(32, true);
  if (next > directory.byteLength) fail('its directory ends early');
  const name = new TextDecoder().decode(directory.subarray(p + 46, p + 46 + nameLength));
  if (d.getUint16(8, true) & 1) fail(`entry ${show(name, 100)} is encrypted`);
  const entry: ZipEntry = {
    name,
    method: d.getUint16(10, true),
    crc32: d.getUint32(16, true),
    compressedSize: d.getUint32(20, true),
    size: d.getUint32(24, true),
    localOffset: d.getUint32(42, true),
  };
  zip64Extra(directory.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength), entry, fail);
  return { entry, next };
}

/** Fills in the fields a zip64 extra block holds: those set to 0xffffffff, in this order. */
function zip64Extra(extra: Uint8Array, entry: ZipEntry, fail: (problem: string) => never): void {
  const e = view(extra);
  for (let q = 0; q + 4 <= extra.byteLength;) {
    const id = e.getUint16(q, true);
    const length = e.getUint16(q + 2, true);
    if (id === 0x0001) {
      let r = q + 4;
      for (const field of ['size', 'compressedSize', 'localOffset'] as const) {
        if (entry[field] !== 0xffffffff) continue;
        if (r + 8 > q + 4 + length || r + 8 > extra.byteLength) fail(`entry ${show(entry.name)} has a short zip64 block`);
        const v = e.getBigUint64(r, true);
        entry[field] = v > BigInt(Number.MAX_SAFE_INTEGER) ? fail(`entry ${show(entry.name)} has ${field} ${v}`) : Number(v);
        r += 8;
      }
    }
    q += 4 + length;
  }
}

/** Where an entry's data starts (after its local header, whose extra field may differ from the directory's). */
export async function entryDataOffset(source: ByteSource, entry: ZipEntry): Promise<number> {
  const local = view(await readAt(source, entry.localOffset, 30, `the local header of ${entry.name}`));
  if (local.getUint32(0, true) !== LOCAL)
    throw new ConvertError(`${source.name}: entry ${show(entry.name)} has no local header; the zip archive is corrupt`);
  const start = entry.localOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
  if (start + entry.compressedSize > source.size)
    throw new ConvertError(`${source.name}: entry ${show(entry.name)} lies past the end of the file; it is truncated`);
  return start;
}

/** A stored entry's bytes, checked against its CRC-32. */
export async function readStoredEntry(source: ByteSource, entry: ZipEntry): Promise<Uint8Array> {
  if (entry.method !== 0 || entry.compressedSize !== entry.size) {
    throw new ConvertError(
      `${source.name}: entry ${show(entry.name)} is compressed (method ${entry.method}); PyTorch stores entries uncompressed. Save it again with torch.save`,
    );
  }
  const bytes = await readAt(source, await entryDataOffset(source, entry), entry.size, entry.name);
  checkCrc(bytes, entry, source.name);
  return bytes;
}

export function checkCrc(bytes: Uint8Array, entry: ZipEntry, file: string): void {
  const actual = crc32(bytes);
  if (actual !== entry.crc32) {
    throw new ConvertError(
      `${file}: entry ${show(entry.name)} has CRC-32 ${hex(actual)}, the directory says ${hex(entry.crc32)}; the file is corrupt. Download or save it again.`,
    );
  }
}

const hex = (n: number) => n.toString(16).padStart(8, '0');

let table: Uint32Array | undefined;

/** CRC-32 (the zip and gzip polynomial), continuing from `crc` for data read in pieces. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = ~crc >>> 0;
  for (const b of bytes) c = table[(c ^ b) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
