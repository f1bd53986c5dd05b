// Keras HDF5 weights (vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5) -> VggWeights, through
// any HDF5 library behind `H5Access`: Node runs h5wasm in a worker thread (src/node/keras-h5.ts),
// the page in its conversion worker (src/web/h5-access.ts); hdf5-calls.ts names their calls in
// messages. Layers are found through the `weight_names` attributes, which name the datasets in
// both the new ("block1_conv1/kernel:0") and the old ("block1_conv1_W_1:0") Keras styles. Before
// HDF5 sees a file, its signature and recorded size are checked (a cut download is the common
// case); every dataset's type and shape are checked before its data is read. Browser-safe.

import { show } from '../../util/quote.js';
import { kerasName, type VggWeights, type WeightTensor } from '../../vgg/index.js';
import { checkVgg19 } from './architecture.js';
import { readAt, type ByteSource } from './bytes.js';
import { ConvertError } from './convert-error.js';
import { HDF5_SIGNATURE, recordedSize, SUPERBLOCK_HEAD_BYTES, superblockOffsets } from './hdf5.js';
import { checkBias, convsUpTo, hwioToOihw, kerasLayout, kerasWeights } from './keras.js';

export type H5Entry = { kind: 'group' } | { kind: 'dataset'; shape: number[] | null; dtype: unknown } | { kind: 'other' } | null;

/** What the Keras reader asks of an HDF5 file; paths are relative to the root ('' is the root). */
export interface H5Access {
  get(path: string): Promise<H5Entry>;
  /** An attribute's value; null when there is none. */
  attr(path: string, name: string): Promise<unknown>;
  /** The names of a group's members. */
  keys(path: string): Promise<string[]>;
  /** A dataset's values. */
  read(path: string): Promise<unknown>;
}

/** Reads the convs up to `upTo` (default all 16) of the file `name` behind `file`. */
export async function readKerasH5(file: H5Access, name: string, upTo?: number): Promise<VggWeights> {
  // Whole-model files keep the weights under /model_weights; weights-only files at the root.
  const root = (await file.get('model_weights')) ? 'model_weights/' : '';
  const top = root.replace(/\/$/, '');
  const layerNames = (await file.attr(top, 'layer_names')) ?? (await file.keys(top));
  checkVgg19(kerasLayout(toStrings(layerNames)), name);
  const tensors = new Map<string, WeightTensor>();
  for (const layer of convsUpTo(upTo)) {
    const groupPath = `${root}${kerasName(layer.name)}`;
    const group = await file.get(groupPath);
    if (!group)
      throw new ConvertError(`${name}: there is no layer group "${groupPath}"${layer.index > 0 ? '' : "; is this Keras's VGG-19?"}`, {
        upTo: layer.index > 0 ? layer.index - 1 : undefined,
      });
    if (group.kind !== 'group') throw new ConvertError(`${name}: ${groupPath} is not a layer group; is this Keras's VGG-19?`);
    const names = toStrings(await file.attr(groupPath, 'weight_names'));
    if (names.length !== 2) throw new ConvertError(`${name}: ${groupPath} has weight_names ${show(names)}, expected a kernel and a bias`);
    const kernelName = names.find((n) => /kernel|_W(_\d+)?:0$/.test(n));
    const biasName = names.find((n) => /bias|_b(_\d+)?:0$/.test(n));
    if (!kernelName || !biasName)
      throw new ConvertError(`${name}: cannot tell kernel from bias in ${groupPath}'s weight_names ${show(names)}`);
    const kernel = await dataset(file, `${groupPath}/${kernelName}`, [3, 3, layer.cin, layer.cout], name);
    const bias = await dataset(file, `${groupPath}/${biasName}`, [layer.cout], name);
    tensors.set(`${layer.name}.weight`, hwioToOihw(kernel.data, kernel.shape, layer, name));
    tensors.set(`${layer.name}.bias`, checkBias(bias.data, bias.shape, layer, name));
  }
  return kerasWeights(tensors, { source: name, format: 'keras-hdf5', converter: 'wgpu-style convertKerasH5' });
}

/** A float32 dataset of the expected shape; its data is read only once both are known to be right. */
async function dataset(
  file: H5Access,
  datasetPath: string,
  expected: number[],
  name: string,
): Promise<{ shape: number[]; data: Float32Array }> {
  const d = await file.get(datasetPath);
  if (d?.kind !== 'dataset') throw new ConvertError(`${name}: weight_names lists ${show(datasetPath)} but there is no such dataset`);
  const shape = d.shape ?? [];
  if (shape.join(',') !== expected.join(',')) {
    throw new ConvertError(`${name}: dataset ${show(datasetPath)} has shape ${show(shape)}, expected [${expected}]: not VGG-19's`);
  }
  if (d.dtype !== '<f')
    throw new ConvertError(`${name}: dataset ${show(datasetPath)} has type ${show(d.dtype)}, expected little-endian float32 ("<f")`);
  const data = await file.read(datasetPath);
  if (!(data instanceof Float32Array)) throw new ConvertError(`${name}: dataset ${show(datasetPath)} did not read as float32`);
  return { shape, data };
}

/** Where `source` holds the HDF5 signature (0, 512, 1024, ...), looking in its first `searchBytes`; undefined when nowhere. */
export async function findHdf5Signature(source: ByteSource, searchBytes = source.size): Promise<number | undefined> {
  for (const offset of superblockOffsets(Math.min(source.size, searchBytes))) {
    const head = await source.read(offset, HDF5_SIGNATURE.length);
    if (HDF5_SIGNATURE.every((b, i) => head[i] === b)) return offset;
  }
  return undefined;
}

/**
 * Checks the signature, and that the file is as long as its superblock says, reading only the
 * first bytes: a cut download gets "truncated" with both sizes, not an HDF5 error.
 */
export async function checkH5Container(source: ByteSource): Promise<void> {
  const { name, size } = source;
  const at = await findHdf5Signature(source);
  if (at === undefined) {
    throw new ConvertError(
      `${name}: not an HDF5 file (no HDF5 signature); expected Keras weights such as vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`,
    );
  }
  const recorded = recordedSize(await readAt(source, at, Math.min(SUPERBLOCK_HEAD_BYTES, size - at), 'the HDF5 superblock'), at);
  if ('problem' in recorded) throw new ConvertError(`${name}: corrupt HDF5 file: ${recorded.problem}. Download or export it again.`);
  if ('bytes' in recorded && recorded.bytes > size) {
    throw new ConvertError(
      `${name}: truncated or corrupt: HDF5 records ${recorded.bytes} bytes but the file has ${size}. Download it again (an interrupted download leaves a short file).`,
    );
  }
}

function toStrings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v)).replace(/\0+$/, ''));
}
