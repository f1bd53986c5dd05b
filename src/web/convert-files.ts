// What the page's conversion worker does (convert-worker.ts): a weights file picked or downloaded
// in the page (.pth, .params or the model zoo's zip of one, Keras's .h5, a TF.js model.json with
// its shards, or our .bin) into our .bin format. A download is checked against its checksums first
// (after its zip is unpacked). The converters are src/io's, the same as the CLI's `weights convert`.

import { memorySource } from '../io/weights/bytes.js';
import { encodeWeights, MAGIC } from '../io/weights/format.js';
import { checkH5Container, findHdf5Signature, readKerasH5 } from '../io/weights/keras-h5.js';
import { convertMxnet, isMxnetParams } from '../io/weights/mxnet.js';
import { convertTfjs } from '../io/weights/tfjs.js';
import { convertTorch, isLegacyTorch } from '../io/weights/torch.js';
import { isZip } from '../io/weights/zip.js';
import { entriesEndingIn, findSingleEntry, inflateEntry, MAX_EXTRACTED_BYTES } from '../io/weights/zip-inflate.js';
import type { VggWeights } from '../vgg/index.js';
import { verifyChecksums } from './checksums.js';
import type { ConvertRequest } from './convert-messages.js';
import { openH5Bytes, type H5Watch } from './h5-access.js';

const startsWith = (bytes: Uint8Array, head: Uint8Array) => head.every((b, i) => bytes[i] === b);
type File = { name: string; bytes: Uint8Array };

/** The model zoo's zip (one .params file inside) as its .params file; any other file as it is. */
async function unpack(file: File): Promise<File> {
  if (!isZip(file.bytes.subarray(0, 4))) return file;
  const source = memorySource(file.bytes, file.name);
  if ((await entriesEndingIn(source, '.params')).length === 0) return file; // torch.save's zip
  const { entry, start } = await findSingleEntry(source, '.params', MAX_EXTRACTED_BYTES);
  return { name: entry.name.split('/').pop()!, bytes: await inflateEntry(source, entry, start) };
}

async function convertKeras(file: File, watch: H5Watch): Promise<VggWeights> {
  await checkH5Container(memorySource(file.bytes, file.name));
  const h5 = await openH5Bytes(file.bytes, file.name, watch);
  try {
    return await readKerasH5(h5, file.name);
  } finally {
    h5.close();
  }
}

/** The .bin of `request`'s files and the format they were in; null when the file is a .bin already (the page decodes and checks it). */
export async function convertFiles(request: ConvertRequest, watch: H5Watch): Promise<{ bin: Uint8Array; format: string } | null> {
  const { files, check } = request;
  const model = files.find((f) => f.name.endsWith('.json'));
  if (model) {
    const json: unknown = JSON.parse(new TextDecoder().decode(model.bytes));
    const shards = new Map(files.map((f) => [f.name, f.bytes]));
    const weights = await convertTfjs(json, async (path) => shards.get(path.split('/').pop()!) ?? null, { source: model.name });
    return { bin: await encodeWeights(weights), format: 'TF.js' };
  }
  const file = await unpack(files[0]!);
  if (check) await verifyChecksums(file.bytes, check.checksums, check.what);
  const { name, bytes } = file;
  if (startsWith(bytes, new TextEncoder().encode(MAGIC))) return null; // already ours: the page decodes and checks it
  const source = memorySource(bytes, name);
  let weights: VggWeights;
  let format: string;
  if (isZip(bytes.subarray(0, 4)) || isLegacyTorch(bytes.subarray(0, 64))) [weights, format] = [await convertTorch(source), 'PyTorch'];
  else if (isMxnetParams(bytes.subarray(0, 8))) [weights, format] = [await convertMxnet(source), 'MXNet'];
  else if ((await findHdf5Signature(source, 4096)) !== undefined) [weights, format] = [await convertKeras(file, watch), 'Keras HDF5'];
  else
    throw new Error(
      `${name}: not a weights file the page knows (.bin, PyTorch .pth, MXNet .params or its zip, Keras .h5, or a TF.js model.json with its shards)`,
    );
  return { bin: await encodeWeights(weights), format };
}
