// Keras HDF5 weights (vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5) -> VggWeights, read
// with h5wasm. Layers are found through the `weight_names` attributes, which name the datasets
// in both the new ("block1_conv1/kernel:0") and the old ("block1_conv1_W_1:0") Keras styles.

import { readFileSync } from 'node:fs';
import h5wasm from 'h5wasm/node';
import { ConvertError, checkBias, convsUpTo, hwioToOihw, kerasWeights } from '../io/weights/keras.js';
import { kerasName, type VggWeights, type WeightTensor } from '../vgg/index.js';

type H5File = InstanceType<typeof h5wasm.File>;
type H5Group = ReturnType<H5File['get']>;

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export async function convertKerasH5(path: string, options: { upTo?: number } = {}): Promise<VggWeights> {
  if (!hasHdf5Signature(path)) throw new ConvertError(`${path}: not an HDF5 file (no HDF5 signature); expected Keras weights such as vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`);
  await h5wasm.ready;
  let file: H5File;
  try {
    file = new h5wasm.File(path, 'r');
  } catch (err) {
    throw new ConvertError(`${path}: not a readable HDF5 file (${(err as Error).message})`);
  }
  try {
    return readLayers(file, path, options.upTo);
  } catch (err) {
    if (err instanceof ConvertError) throw err;
    throw new ConvertError(`${path}: cannot read the Keras weights (${(err as Error).message}); the file may be truncated or corrupt`);
  } finally {
    file.close();
  }
}

function readLayers(file: H5File, path: string, upTo: number | undefined): VggWeights {
  // Whole-model files keep the weights under /model_weights; weights-only files at the root.
  const root = file.get('model_weights') ? 'model_weights/' : '';
  const tensors = new Map<string, WeightTensor>();
  for (const layer of convsUpTo(upTo)) {
    const groupPath = `${root}${kerasName(layer.name)}`;
    const group = file.get(groupPath) as (H5Group & { attrs: Record<string, { value: unknown }> }) | null;
    if (!group) throw new ConvertError(`${path}: there is no layer group "${groupPath}"${layer.index > 0 ? `; use --up-to ${layer.index - 1} to convert the layers before it` : ''}`);
    const names = toStrings(group.attrs['weight_names']?.value);
    if (names.length !== 2) throw new ConvertError(`${path}: ${groupPath} has weight_names [${names.join(', ')}], expected a kernel and a bias`);
    const kernelName = names.find((n) => /kernel|_W(_\d+)?:0$/.test(n));
    const biasName = names.find((n) => /bias|_b(_\d+)?:0$/.test(n));
    if (!kernelName || !biasName) throw new ConvertError(`${path}: cannot tell kernel from bias in ${groupPath}'s weight_names [${names.join(', ')}]`);
    const kernel = dataset(file, `${groupPath}/${kernelName}`, path);
    const bias = dataset(file, `${groupPath}/${biasName}`, path);
    tensors.set(`${layer.name}.weight`, hwioToOihw(kernel.data, kernel.shape, layer, path));
    tensors.set(`${layer.name}.bias`, checkBias(bias.data, bias.shape, layer, path));
  }
  return kerasWeights(tensors, { source: path, format: 'keras-hdf5', converter: 'wgpu-style convertKerasH5' });
}

/** HDF5 files start with the signature at offset 0, or after a user block of 512, 1024, ... bytes. */
function hasHdf5Signature(path: string): boolean {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new ConvertError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  for (let offset = 0; offset + 8 <= bytes.byteLength; offset = offset === 0 ? 512 : offset * 2) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[offset + i] === b)) return true;
  }
  return false;
}

function dataset(file: H5File, datasetPath: string, path: string): { shape: number[]; data: Float32Array } {
  const d = file.get(datasetPath) as { shape?: number[]; value?: unknown } | null;
  if (!d || !d.shape) throw new ConvertError(`${path}: weight_names lists "${datasetPath}" but there is no such dataset`);
  let value: unknown;
  try {
    value = d.value;
  } catch (err) {
    throw new ConvertError(`${path}: cannot read dataset ${datasetPath} (${(err as Error).message}); the file may be truncated`);
  }
  if (!(value instanceof Float32Array)) throw new ConvertError(`${path}: dataset ${datasetPath} is not float32`);
  return { shape: d.shape, data: value };
}

function toStrings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v)).replace(/\0+$/, ''));
}
