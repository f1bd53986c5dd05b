// PyTorch .pth -> VggWeights, from either container torch.save writes: the zip archive (PyTorch
// 1.6 on: <archive>/data.pkl and one <archive>/data/<key> entry per storage, stored uncompressed)
// or the legacy stream (pickles of a magic number, the protocol version and system info, then the
// state dict, then its storage keys, then each storage as an int64 element count and its raw data).
// Only the pickles and the conv tensors asked for are read; storages are little-endian.

import { readAt, type ByteSource } from './bytes.js';
import { show } from '../../util/quote.js';
import { ConvertError } from './convert-error.js';
import { PickleTruncatedError, unpickle } from './pickle.js';
import { convertConvs, featuresConvs, type NamedTensor } from './state-dict.js';
import { stateTensors, TensorRef, unpickleState, type StorageRef, type StorageType } from './torch-pickle.js';
import { checkCrc, entryDataOffset, isZip, readStoredEntry, readZipDirectory, type ZipEntry } from './zip.js';
import type { VggWeights } from '../../vgg/index.js';

/** torch.serialization's MAGIC_NUMBER and PROTOCOL_VERSION, which open a legacy file. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
/** No state dict's pickle comes near this (VGG-19's is ~3 kB); a guard for hand-made files. */
const MAX_PICKLE_BYTES = 64 << 20;

/** Where a storage's bytes lie, and its zip entry (to check the CRC when the whole entry is read). */
interface StorageSpan {
  start: number;
  bytes: number;
  entry?: ZipEntry;
}
type Locate = (storage: StorageRef) => Promise<StorageSpan>;
interface Opened {
  tensors: Map<string, TensorRef>;
  locate: Locate;
  format: string;
}

/** True for the first bytes of a file torch.save wrote, in either container (zip: see isZip). */
export function isLegacyTorch(head: Uint8Array): boolean {
  const magic = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
  return head[0] === 0x80 && magic.every((b, i) => head[2 + i] === b);
}

export async function convertTorch(source: ByteSource, options: { upTo?: number } = {}): Promise<VggWeights> {
  const head = await readAt(source, 0, Math.min(source.size, 512), 'the header');
  let opened: Opened;
  if (isZip(head)) opened = await openZip(source);
  else if (isLegacyTorch(head)) opened = await openLegacy(source);
  else if (new TextDecoder().decode(head.subarray(257, 262)) === 'ustar') {
    throw new ConvertError(
      `${source.name}: a tar archive: PyTorch's format before version 0.1.10, which is not read. Load it in Python and save it again with torch.save`,
    );
  } else throw new ConvertError(`${source.name}: not a PyTorch file (neither a zip archive nor a legacy torch.save stream)`);
  const named = new Map<string, NamedTensor>();
  for (const [name, t] of opened.tensors) {
    named.set(name, { shape: t.size, dtype: t.storage.type.dtype, read: () => readTensor(source, t, opened.locate, name) });
  }
  return convertConvs(named, featuresConvs(named), {
    source: source.name,
    upTo: options.upTo,
    provenance: { format: opened.format, converter: 'wgpu-style convertTorch' },
  });
}

async function openZip(source: ByteSource): Promise<Opened> {
  const fail = (problem: string): never => {
    throw new ConvertError(`${source.name}: ${problem}`);
  };
  const entries = await readZipDirectory(source);
  const pickles = [...entries.keys()].filter((n) => /^(?:[^/]+\/)?data\.pkl$/.test(n));
  if (pickles.length !== 1)
    fail(`a zip archive with ${pickles.length} data.pkl entries, not a PyTorch .pth (which has one, <archive>/data.pkl)`);
  const prefix = pickles[0]!.slice(0, -'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder) {
    const order = byteorder.size <= 16 ? new TextDecoder().decode(await readStoredEntry(source, byteorder)) : '(too long)';
    if (order !== 'little') fail(`its byteorder entry says ${show(order)}; only little-endian files are read`);
  }
  const pickle = entries.get(pickles[0]!)!;
  if (pickle.size > MAX_PICKLE_BYTES) fail(`data.pkl is ${pickle.size} bytes, far more than a state dict needs; the file is corrupt`);
  const { value } = unpickleState(await readStoredEntry(source, pickle), 0, source.name);
  const locate: Locate = async (storage) => {
    const entry = entries.get(`${prefix}data/${storage.key}`);
    if (!entry) return fail(`the entry ${prefix}data/${storage.key}, which the state dict refers to, is missing; the file is incomplete`);
    if (entry.method !== 0) fail(`${entry.name} is compressed; PyTorch stores storages uncompressed. Save it again with torch.save`);
    return { start: await entryDataOffset(source, entry), bytes: entry.size, entry };
  };
  return { tensors: stateTensors(value, source.name), locate, format: 'pytorch-zip' };
}

async function openLegacy(source: ByteSource): Promise<Opened> {
  for (let length = Math.min(source.size, 1 << 13); ; length = Math.min(source.size, length * 4)) {
    const bytes = await readAt(source, 0, length, 'the pickles');
    try {
      return await legacyLayout(source, bytes);
    } catch (err) {
      if (!(err instanceof PickleTruncatedError) || length >= Math.min(source.size, MAX_PICKLE_BYTES)) throw err;
    }
  }
}

async function legacyLayout(source: ByteSource, bytes: Uint8Array): Promise<Opened> {
  const fail = (problem: string): never => {
    throw new ConvertError(`${source.name}: ${problem}; the file is corrupt or not a legacy torch.save file`);
  };
  let at = 0;
  const plain = () => {
    const r = unpickle(bytes, at, { source: source.name, resolve: () => undefined, refusal: () => 'a .pth header never calls' });
    at = r.end;
    return r.value;
  };
  if (plain() !== LEGACY_MAGIC) fail('its magic number is wrong');
  const protocol = plain();
  if (protocol !== LEGACY_PROTOCOL) fail(`its protocol version is ${show(protocol, 20)}, expected ${LEGACY_PROTOCOL}`);
  const info = plain();
  if (info instanceof Map && info.get('little_endian') === false) fail('it was saved on a big-endian machine, which is not read');
  const state = unpickleState(bytes, at, source.name);
  at = state.end;
  const keys = plain();
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) fail('its list of storage keys is not a list of strings');
  const types = new Map<string, StorageType>(state.storages.map((s) => [s.key, s.type]));
  const spans = new Map<string, StorageSpan>();
  let offset = at;
  for (const key of keys as string[]) {
    const type = types.get(key) ?? fail(`it stores storage ${show(key)}, which the state dict never refers to`);
    const head = await readAt(source, offset, 8, `storage ${key}`);
    const count = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
    if (count * BigInt(type.bytes) > BigInt(source.size)) fail(`storage ${key} claims ${count} elements, more than the file holds`);
    spans.set(key, { start: offset + 8, bytes: Number(count) * type.bytes });
    offset += 8 + Number(count) * type.bytes;
  }
  if (offset > source.size) {
    throw new ConvertError(
      `${source.name}: truncated: its storages end at byte ${offset} but the file has ${source.size}. Download or save it again.`,
    );
  }
  const locate: Locate = async (storage) => spans.get(storage.key) ?? fail(`storage ${show(storage.key)} is not in the file`);
  return { tensors: stateTensors(state.value, source.name), locate, format: 'pytorch-legacy' };
}

/** A float32 tensor's values in row-major order, gathered through its strides from the bytes it spans. */
async function readTensor(source: ByteSource, t: TensorRef, locate: Locate, name: string): Promise<Float32Array> {
  const count = t.size.reduce((a, b) => a * b, 1);
  if (t.storage.type.dtype !== 'float32') throw new ConvertError(`${source.name}: ${name} is not float32`);
  if (count === 0) return new Float32Array(0);
  const first = t.storage.viewOffset + t.offset;
  const last = t.size.reduce((end, n, i) => end + (n - 1) * t.stride[i]!, first);
  const span = await locate(t.storage);
  if ((last + 1) * 4 > span.bytes) {
    throw new ConvertError(`${source.name}: ${show(name)} reaches element ${last} of a storage of ${span.bytes / 4}; the file is corrupt`);
  }
  const bytes = await readAt(source, span.start + first * 4, (last - first + 1) * 4, show(name));
  if (span.entry && first === 0 && bytes.byteLength === span.entry.size) checkCrc(bytes, span.entry, source.name);
  const values = new Float32Array(new Uint8Array(bytes).buffer); // a copy, aligned
  return isContiguous(t) ? values.subarray(0, count) : gather(values, t.size, t.stride, count);
}

function isContiguous(t: TensorRef): boolean {
  let expected = 1;
  for (let i = t.size.length - 1; i >= 0; i--) {
    if (t.size[i] !== 1 && t.stride[i] !== expected) return false;
    expected *= t.size[i]!;
  }
  return true;
}

function gather(values: Float32Array, size: number[], stride: number[], count: number): Float32Array {
  const out = new Float32Array(count);
  const index = size.map(() => 0);
  let at = 0;
  for (let n = 0; n < count; n++) {
    out[n] = values[at]!;
    for (let d = size.length - 1; d >= 0; d--) {
      if (++index[d]! < size[d]!) {
        at += stride[d]!;
        break;
      }
      at -= (size[d]! - 1) * stride[d]!;
      index[d] = 0;
    }
  }
  return out;
}
