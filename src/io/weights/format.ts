// wgpu-style's weights file (.bin): "WGPUSTYL", a u32 header length, a JSON header (version,
// architecture, input convention, provenance, each tensor's name/shape/dtype/offset, sha256 of
// the data), zero padding to 16 bytes, then little-endian f32 data. Browser-safe: bytes in, bytes out.

import { UserError } from '../../util/errors.js';
import { expectedTensors, VGG19_FEATURES, type VggWeights, type WeightTensor } from '../../vgg/index.js';
import { show } from '../../util/quote.js';
import { checkHeader, FORMAT_VERSION, type TensorEntry, type WeightsHeader } from './header.js';

export { FORMAT_VERSION, type WeightsHeader } from './header.js';
export const MAGIC = 'WGPUSTYL';

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
  const { header, data } = readLayout(bytes, file);
  const tensors = new Map<string, WeightTensor>();
  for (const entry of header.tensors) {
    const copy = new Float32Array(entry.byteLength / 4);
    new Uint8Array(copy.buffer).set(data.subarray(entry.offset, entry.offset + entry.byteLength));
    tensors.set(entry.name, { shape: entry.shape, data: copy });
  }
  await checkChecksum(header, data, file);
  return { architecture: 'vgg19', tensors, input: header.input, provenance: header.provenance };
}

/** Reads and validates the header and the layout it describes, without checksumming the data. */
export function readHeader(bytes: Uint8Array, file: string): WeightsHeader {
  return readLayout(bytes, file).header;
}

/** The header once the data's sha256 is found to be the one it states (for `weights info`); a WeightsFormatError otherwise. */
export async function readVerifiedHeader(bytes: Uint8Array, file: string): Promise<WeightsHeader> {
  const { header, data } = readLayout(bytes, file);
  await checkChecksum(header, data, file);
  return header;
}

async function checkChecksum(header: WeightsHeader, data: Uint8Array, file: string): Promise<void> {
  const digest = await sha256Hex(data);
  if (digest !== header.sha256) {
    throw new WeightsFormatError(
      file,
      `checksum mismatch: the data's sha256 is ${digest}, the header says ${header.sha256}. The file is corrupt; download or convert it again.`,
    );
  }
}

/** Checks everything but the checksum: magic, header fields, file size, and each tensor's name, shape and byte range. */
function readLayout(bytes: Uint8Array, file: string): { header: WeightsHeader; data: Uint8Array } {
  const fail = (problem: string): never => {
    throw new WeightsFormatError(file, problem);
  };
  const magic = new TextEncoder().encode(MAGIC);
  if (!magic.every((b, i) => bytes[i] === b)) {
    fail(`not a wgpu-style weights file (it does not start with "${MAGIC}"). Convert weights with \`wgpu-style weights convert\`.`);
  }
  if (bytes.byteLength < 12) fail(`truncated: ${bytes.byteLength} bytes, too short for a header. Download or convert it again.`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (12 + headerLength > bytes.byteLength)
    fail(`truncated: the header says ${headerLength} bytes but the file has ${bytes.byteLength}. Download or convert it again.`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch (err) {
    return fail(`the JSON header is corrupt (${show((err as Error).message, 100)}). Download or convert it again.`);
  }
  const header = checkHeader(json, fail);
  const dataStart = Math.ceil((12 + headerLength) / 16) * 16;
  if (bytes.byteLength !== dataStart + header.dataBytes) {
    fail(
      `${bytes.byteLength < dataStart + header.dataBytes ? 'truncated' : 'has trailing bytes'}: expected ${dataStart + header.dataBytes} bytes, the file has ${bytes.byteLength}. Download or convert it again.`,
    );
  }
  const data = bytes.subarray(dataStart);
  const expected = expectedTensors(header.upTo);
  if (header.tensors.length !== expected.length) {
    fail(`holds ${header.tensors.length} tensors but VGG-19 up to module ${header.upTo} has ${expected.length}`);
  }
  header.tensors.forEach((entry, i) => checkEntry(entry, expected[i]!, i, data.byteLength, fail));
  return { header, data };
}

function checkEntry(
  entry: TensorEntry,
  want: { name: string; shape: number[] },
  i: number,
  dataBytes: number,
  fail: (problem: string) => never,
): void {
  if (entry.name !== want.name) fail(`tensor ${i} is ${show(entry.name)}, expected "${want.name}"`);
  if (entry.dtype !== 'f32') fail(`tensor ${entry.name} has dtype ${show(entry.dtype)}; only f32 is supported`);
  if (entry.shape.join(',') !== want.shape.join(',')) fail(`tensor ${entry.name} has shape ${show(entry.shape)}, expected [${want.shape}]`);
  const count = want.shape.reduce((a, b) => a * b, 1);
  if (entry.byteLength !== count * 4 || entry.offset % 4 !== 0 || entry.offset + entry.byteLength > dataBytes) {
    fail(
      `tensor ${entry.name} has byte range ${entry.offset}+${entry.byteLength}, which does not fit [${want.shape}] in ${dataBytes} data bytes`,
    );
  }
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
