// A worker that turns a weights file picked or downloaded in the page (.pth, .params, a TF.js
// model.json with its shards, or our .bin) into our .bin format, off the page's thread. The
// converters are src/io's, the same as the CLI's `weights convert`.

import { memorySource } from '../io/weights/bytes.js';
import { encodeWeights, MAGIC } from '../io/weights/format.js';
import { HDF5_SIGNATURE } from '../io/weights/hdf5.js';
import { convertMxnet, isMxnetParams } from '../io/weights/mxnet.js';
import { convertTfjs } from '../io/weights/tfjs.js';
import { convertTorch, isLegacyTorch } from '../io/weights/torch.js';
import { isZip } from '../io/weights/zip.js';
import type { VggWeights } from '../vgg/index.js';
import type { ConvertReply, ConvertRequest } from './convert-messages.js';

const startsWith = (bytes: Uint8Array, head: Uint8Array) => head.every((b, i) => bytes[i] === b);

async function convert(files: ConvertRequest['files']): Promise<{ bin: Uint8Array; format: string } | null> {
  const model = files.find((f) => f.name.endsWith('.json'));
  if (model) {
    const json: unknown = JSON.parse(new TextDecoder().decode(model.bytes));
    const shards = new Map(files.map((f) => [f.name, f.bytes]));
    const weights = await convertTfjs(json, async (path) => shards.get(path.split('/').pop()!) ?? null, { source: model.name });
    return { bin: await encodeWeights(weights), format: 'TF.js' };
  }
  const { name, bytes } = files[0]!;
  if (startsWith(bytes, new TextEncoder().encode(MAGIC))) return null; // already ours: the page decodes and checks it
  const source = memorySource(bytes, name);
  let weights: VggWeights;
  let format: string;
  if (isZip(bytes.subarray(0, 4)) || isLegacyTorch(bytes.subarray(0, 64))) [weights, format] = [await convertTorch(source), 'PyTorch'];
  else if (isMxnetParams(bytes.subarray(0, 8))) [weights, format] = [await convertMxnet(source), 'MXNet'];
  else if (startsWith(bytes, HDF5_SIGNATURE))
    throw new Error(
      `${name}: a Keras .h5 file; the page cannot read HDF5 yet: convert it with \`wgpu-style weights convert ${name}\` and pick the .bin`,
    );
  else
    throw new Error(
      `${name}: not a weights file the page knows (.bin, PyTorch .pth, MXNet .params, or a TF.js model.json with its shards)`,
    );
  return { bin: await encodeWeights(weights), format };
}

self.onmessage = async (event: MessageEvent<ConvertRequest>) => {
  let reply: ConvertReply;
  try {
    const done = await convert(event.data.files);
    reply = done ? { ok: true, bin: done.bin, format: done.format } : { ok: true, bin: null, format: 'wgpu-style .bin' };
  } catch (err) {
    reply = { ok: false, message: (err as Error).message };
  }
  (self as unknown as Worker).postMessage(reply, reply.ok && reply.bin ? [reply.bin.buffer] : []);
};
