// MXNet .params (mx.nd.save; Gluon's save_parameters and the older save_params) -> VggWeights.
// The file (src/ndarray/ndarray.cc, NDArray::Save): u64 magic 0x112, u64 reserved, a u64 count
// and that many NDArrays, then a u64 count and that many names (u64 length, bytes). An NDArray
// opens with its own magic: V2 (0xF993fac9) or V3 (0xF993faca, NumPy shape semantics): i32
// storage type, shape, and unless the shape is empty, context (i32 device type, i32 device id),
// i32 type flag and the data. V1 (0xF993fac8) has no storage type; before V1 there was no magic:
// the first u32 is the number of dimensions, and each dimension a u32 instead of an i64.
// Headers are read front to back; the data is skipped, and read only for the convs asked for.

import { Cursor, readAt, type ByteSource } from './bytes.js';
import { ConvertError } from './convert-error.js';
import { convertConvs, featuresConvs, type ConvNames, type NamedTensor } from './state-dict.js';
import type { VggWeights } from '../../vgg/index.js';

export const MXNET_LIST_MAGIC = 0x112;
const V1 = 0xf993fac8;
const V2 = 0xf993fac9;
const V3 = 0xf993faca;
/** mshadow's type flags, in order, with their sizes in bytes. */
const TYPES: Array<[string, number]> = [
  ['float32', 4],
  ['float64', 8],
  ['float16', 2],
  ['uint8', 1],
  ['int32', 4],
  ['int8', 1],
  ['int64', 8],
  ['bool', 1],
  ['int16', 2],
  ['uint16', 2],
  ['uint32', 4],
  ['uint64', 8],
  ['bfloat16', 2],
];
const MAX_NAME_BYTES = 4096;
const MAX_DIMS = 32;

interface ArrayHeader {
  shape: number[];
  dtype: string;
  /** Where its data starts in the file. */
  offset: number;
  bytes: number;
}

/** True for the first bytes of an NDArray list file. */
export function isMxnetParams(head: Uint8Array): boolean {
  if (head.byteLength < 8) return false;
  const view = new DataView(head.buffer, head.byteOffset, 8);
  return view.getBigUint64(0, true) === BigInt(MXNET_LIST_MAGIC);
}

export async function convertMxnet(source: ByteSource, options: { upTo?: number } = {}): Promise<VggWeights> {
  const cursor = new Cursor(source);
  if (!isMxnetParams(await cursor.bytes(8, 'the magic number')))
    throw new ConvertError(`${source.name}: not an MXNet .params file (it does not start with the NDArray list magic 0x112)`);
  await cursor.bytes(8, 'the reserved field');
  const count = await cursor.u64('the number of arrays');
  if (count * 8 > source.size) throw new ConvertError(`${source.name}: claims ${count} arrays, more than the file can hold; it is corrupt`);
  const arrays: Array<ArrayHeader | null> = [];
  for (let i = 0; i < count; i++) arrays.push(await readArrayHeader(cursor, i));
  const names = await readNames(cursor, count);
  const tensors = new Map<string, NamedTensor>();
  arrays.forEach((a, i) => {
    if (a) tensors.set(names[i]!.replace(/^(arg|aux):/, ''), { shape: a.shape, dtype: a.dtype, read: () => readFloats(source, a) });
  });
  const gluon = featuresConvs(tensors);
  return convertConvs(tensors, gluon.length ? gluon : prefixedConvs(tensors), {
    source: source.name,
    upTo: options.upTo,
    provenance: { format: 'mxnet-params', converter: 'wgpu-style convertMxnet' },
  });
}

/** One NDArray's header (null for an empty one); its data is skipped. */
async function readArrayHeader(cursor: Cursor, i: number): Promise<ArrayHeader | null> {
  const name = cursor.source.name;
  const what = `array ${i}`;
  const magic = await cursor.u32(`${what}'s header`);
  if (magic === V2 || magic === V3) {
    const storage = await cursor.i32(`${what}'s storage type`);
    if (storage !== 0)
      throw new ConvertError(
        `${name}: ${what} has storage type ${storage} (sparse); VGG weights are dense: the file is corrupt or not VGG's`,
      );
  }
  const shape = await readShape(cursor, magic, what);
  if (shape === null) return null;
  await cursor.i32(`${what}'s device type`);
  await cursor.i32(`${what}'s device id`);
  const flag = await cursor.i32(`${what}'s type flag`);
  const type = TYPES[flag];
  if (!type) throw new ConvertError(`${name}: ${what} has type flag ${flag}, which MXNet does not define; the file is corrupt`);
  const bytes = shape.reduce((a, b) => a * b, 1) * type[1];
  const offset = cursor.offset;
  cursor.skip(bytes, `${what}'s data (shape [${shape}])`);
  return { shape, dtype: type[0], offset, bytes };
}

/** The dimensions, or null for MXNet's "none" array (no dimensions; in V3, an unknown one). */
async function readShape(cursor: Cursor, magic: number, what: string): Promise<number[] | null> {
  const legacy = magic !== V1 && magic !== V2 && magic !== V3;
  const ndim = legacy ? magic : await cursor.i32(`${what}'s number of dimensions`);
  if (magic === V3 && ndim === -1) return null;
  if (ndim < 0 || ndim > MAX_DIMS) {
    throw new ConvertError(
      `${cursor.source.name}: ${what} has ${legacy ? 'header' : 'number of dimensions'} ${ndim}, which is neither an NDArray magic number nor a number of dimensions; the file is corrupt`,
    );
  }
  if (ndim === 0 && magic !== V3) return null;
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) {
    const dim = legacy ? await cursor.u32(`${what}'s shape`) : await readI64(cursor, `${what}'s shape`);
    if (dim === -1 && magic === V3) return null;
    if (dim < 0) throw new ConvertError(`${cursor.source.name}: ${what} has dimension ${dim}; the file is corrupt`);
    shape.push(dim);
  }
  return shape;
}

async function readI64(cursor: Cursor, what: string): Promise<number> {
  const b = await cursor.bytes(8, what);
  const v = new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -1n)
    throw new ConvertError(`${cursor.source.name}: ${what} holds ${v}; the file is corrupt`);
  return Number(v);
}

async function readNames(cursor: Cursor, count: number): Promise<string[]> {
  const file = cursor.source.name;
  const n = await cursor.u64('the number of names');
  if (n !== count) {
    throw new ConvertError(
      n === 0
        ? `${file}: its ${count} arrays have no names (saved with mx.nd.save of a list); the layers cannot be told apart. Save a dict of named arrays, or the network with save_parameters`
        : `${file}: has ${count} arrays but ${n} names; the file is corrupt`,
    );
  }
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const length = await cursor.u64(`name ${i}'s length`);
    if (length > MAX_NAME_BYTES) throw new ConvertError(`${file}: name ${i} is ${length} bytes long; the file is corrupt`);
    names.push(new TextDecoder().decode(await cursor.bytes(length, `name ${i}`)));
  }
  return names;
}

/** Gluon's names before save_parameters ("vgg0_conv3_weight"): convs in the order of their number. */
function prefixedConvs(tensors: ReadonlyMap<string, NamedTensor>): ConvNames[] {
  const convs: Array<ConvNames & { n: number }> = [];
  for (const [name, t] of tensors) {
    const match = /^(.*_)?conv(\d+)_weight$/.exec(name);
    if (match && t.shape.length === 4)
      convs.push({ name, bias: `${match[1] ?? ''}conv${match[2]}_bias`, shape: t.shape, n: Number(match[2]) });
  }
  return convs.sort((a, b) => a.n - b.n).map(({ n: _, ...conv }) => conv);
}

async function readFloats(source: ByteSource, a: ArrayHeader): Promise<Float32Array> {
  const bytes = await readAt(source, a.offset, a.bytes, 'an array');
  return new Float32Array(new Uint8Array(bytes).buffer);
}
