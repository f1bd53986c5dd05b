// wgpu-style's weights file (.bin): "WGPUSTYL", a u32 header length, a JSON header (version,
// architecture, input convention, provenance, each tensor's name/shape/dtype/offset, sha256 of
// the data), zero padding to 16 bytes, then little-endian f32 data. Browser-safe: bytes in, bytes out.

import { UserError } from '../../util/errors.js';
import { expectedTensors, VGG19_FEATURES, type InputConvention, type VggWeights, type WeightTensor } from '../../vgg/index.js';

export const MAGIC = 'WGPUSTYL';
export const FORMAT_VERSION = 1;

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'f32';
  /** Bytes from the start of the data section. */
  offset: number;
  byteLength: number;
}

export interface WeightsHeader {
  format: 'wgpu-style-weights';
  version: number;
  architecture: 'vgg19';
  /** Deepest VGG-19 module these weights can build. */
  upTo: number;
  input: InputConvention;
  provenance: Record<string, string>;
  tensors: TensorEntry[];
  dataBytes: number;
  sha256: string;
}

export class WeightsFormatError extends UserError {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
  }
}

export async function encodeWeights(weights: VggWeights): Promise<Uint8Array> {
  assertLittleEndian();
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const [name, t] of weights.tensors) {
    tensors.push({ name, shape: t.shape, dtype: 'f32', offset, byteLength: t.data.byteLength });
    offset += t.data.byteLength;
  }
  const data = new Uint8Array(offset);
  for (const [i, t] of [...weights.tensors.values()].entries()) {
    data.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), tensors[i]!.offset);
  }
  const header: WeightsHeader = {
    format: 'wgpu-style-weights',
    version: FORMAT_VERSION,
    architecture: 'vgg19',
    upTo: deepestModule(weights.tensors),
    input: weights.input,
    provenance: weights.provenance,
    tensors,
    dataBytes: data.byteLength,
    sha256: await sha256Hex(data),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((12 + json.byteLength) / 16) * 16;
  const out = new Uint8Array(dataStart + data.byteLength);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.byteLength, true);
  out.set(json, 12);
  out.set(data, dataStart);
  return out;
}

/** Parses and validates a weights file: magic, version, sizes, every shape, and the checksum. */
export async function decodeWeights(bytes: Uint8Array, file: string): Promise<VggWeights> {
  assertLittleEndian();
  const fail = (problem: string): never => {
    throw new WeightsFormatError(file, problem);
  };
  if (bytes.byteLength < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    fail(`not a wgpu-style weights file (it does not start with "${MAGIC}"). Convert weights with \`wgpu-style weights convert\`.`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + headerLength > bytes.byteLength) fail(`truncated: the header says ${headerLength} bytes but the file has ${bytes.byteLength}`);
  let header: WeightsHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as WeightsHeader;
  } catch (err) {
    return fail(`the JSON header is corrupt (${(err as Error).message})`);
  }
  if (header.format !== 'wgpu-style-weights') fail(`header format is "${header.format}", expected "wgpu-style-weights"`);
  if (header.version !== FORMAT_VERSION) fail(`format version ${header.version} is not supported (this wgpu-style reads version ${FORMAT_VERSION}); convert the weights again`);
  if (header.architecture !== 'vgg19') fail(`architecture "${header.architecture}" is not supported (expected "vgg19")`);
  const dataStart = Math.ceil((12 + headerLength) / 16) * 16;
  if (bytes.byteLength !== dataStart + header.dataBytes) {
    fail(`${bytes.byteLength < dataStart + header.dataBytes ? 'truncated' : 'has trailing bytes'}: expected ${dataStart + header.dataBytes} bytes, the file has ${bytes.byteLength}. Download or convert it again.`);
  }
  const data = bytes.subarray(dataStart);
  const expected = expectedTensors(header.upTo);
  if (header.tensors.length !== expected.length) {
    fail(`holds ${header.tensors.length} tensors but VGG-19 up to module ${header.upTo} has ${expected.length}`);
  }
  const tensors = new Map<string, WeightTensor>();
  header.tensors.forEach((entry, i) => {
    const want = expected[i]!;
    if (entry.name !== want.name) fail(`tensor ${i} is "${entry.name}", expected "${want.name}"`);
    if (entry.dtype !== 'f32') fail(`tensor ${entry.name} has dtype ${entry.dtype}; only f32 is supported`);
    if (entry.shape.join(',') !== want.shape.join(',')) fail(`tensor ${entry.name} has shape [${entry.shape}], expected [${want.shape}]`);
    const count = want.shape.reduce((a, b) => a * b, 1);
    if (entry.byteLength !== count * 4 || entry.offset % 4 !== 0 || entry.offset + entry.byteLength > data.byteLength) {
      fail(`tensor ${entry.name} has byte range ${entry.offset}+${entry.byteLength}, which does not fit [${want.shape}] in ${data.byteLength} data bytes`);
    }
    const copy = new Float32Array(count);
    new Uint8Array(copy.buffer).set(data.subarray(entry.offset, entry.offset + entry.byteLength));
    tensors.set(entry.name, { shape: entry.shape, data: copy });
  });
  const digest = await sha256Hex(data);
  if (digest !== header.sha256) fail(`checksum mismatch: the data's sha256 is ${digest}, the header says ${header.sha256}. The file is corrupt; download or convert it again.`);
  return { architecture: 'vgg19', tensors, input: header.input, provenance: header.provenance };
}

/** Reads just the header (for `weights info`), without validating the data. */
export function readHeader(bytes: Uint8Array, file: string): WeightsHeader {
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw new WeightsFormatError(file, 'not a wgpu-style weights file');
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  return JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length))) as WeightsHeader;
}

/** The deepest module buildable from convs conv1_1.. in order (its pool included when complete). */
export function deepestModule(tensors: Map<string, WeightTensor>): number {
  let deepest = -1;
  for (const m of VGG19_FEATURES) {
    if (m.kind === 'conv' && !tensors.has(`${m.name}.weight`)) break;
    deepest = m.index;
  }
  return deepest;
}

async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('weights files are little-endian; this machine is big-endian');
}
