// Writes HDF5 files in the Keras weights layout (as keras.Model.save_weights did), with h5wasm.

import { h5wasmUrl } from '../../src/node/keras-h5.js';
import { kerasName, VGG19_CONVS } from '../../src/vgg/index.js';

type H5wasm = typeof import('h5wasm/node').default;
export type H5File = InstanceType<H5wasm['File']>;

export const ramp = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.1 + seed));

/** h5wasm, loaded on first use (from where the converter loads it: cheap under tsx too). */
async function h5wasm(): Promise<H5wasm> {
  const module = ((await import(h5wasmUrl())) as typeof import('h5wasm/node')).default;
  await module.ready;
  return module;
}

/** Writes an HDF5 file laid out by `build` (for files that are not Keras's VGG-19). */
export async function writeH5(path: string, build: (file: H5File) => void): Promise<void> {
  const f = new (await h5wasm()).File(path, 'w');
  try {
    build(f);
  } finally {
    f.close();
  }
}

/**
 * Convs up to module `upTo`; 'new' names are "block1_conv1/kernel:0", 'old' ones "block1_conv1_W_1:0".
 * `gzip`: datasets in one gzip-compressed chunk each (a whole VGG-19 of constant values in ~200 KB).
 */
export async function writeKerasH5(
  path: string,
  upTo: number,
  style: 'new' | 'old',
  values: (n: number, seed: number) => Float32Array = ramp,
  gzip = false,
) {
  const packing = (shape: number[]) => (gzip ? { chunks: shape, compression: 'gzip' as const, compression_opts: 1 } : {});
  await writeH5(path, (f) => {
    const convs = VGG19_CONVS.filter((m) => m.index <= upTo);
    f.create_attribute(
      'layer_names',
      convs.map((m) => kerasName(m.name)),
    );
    convs.forEach((m, k) => {
      const name = kerasName(m.name);
      const g = f.create_group(name);
      const [kernel, bias] = style === 'new' ? [`${name}/kernel:0`, `${name}/bias:0`] : [`${name}_W_1:0`, `${name}_b_1:0`];
      g.create_attribute('weight_names', [kernel, bias]);
      // New names hold a subgroup ("block1_conv1/kernel:0" is block1_conv1/block1_conv1/kernel:0).
      const holder = style === 'new' ? g.create_group(name) : g;
      holder.create_dataset({
        name: kernel.split('/').pop()!,
        data: values(9 * m.cin * m.cout, k),
        shape: [3, 3, m.cin, m.cout],
        dtype: '<f',
        ...packing([3, 3, m.cin, m.cout]),
      });
      holder.create_dataset({
        name: bias.split('/').pop()!,
        data: values(m.cout, 100 + k),
        shape: [m.cout],
        dtype: '<f',
        ...packing([m.cout]),
      });
    });
  });
}

/**
 * The layout of the real vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5 (Keras 1, h5py 2.x):
 * root `layer_names` and each layer's `weight_names` are fixed-length ASCII strings (h5py wrote
 * NumPy "S" arrays), datasets sit in the layer group as block1_conv1_W_1:0 / _b_1:0, the input and
 * pool layers have groups with an empty weight_names, and there is no model_weights group.
 * h5wasm pads its fixed-length strings with NULs (NULLTERM) where h5py used NULLPAD: both read the same.
 */
export async function writeRealLayoutKerasH5(path: string, layers: readonly string[], values = ramp) {
  const fixed = (strings: readonly string[]) => `A${Math.max(1, ...strings.map((s) => s.length))}`;
  await writeH5(path, (f) => {
    f.create_attribute('layer_names', [...layers], [layers.length], fixed(layers));
    f.create_attribute('backend', 'tensorflow', null, 'A10');
    f.create_attribute('keras_version', '1.1.0', null, 'A5');
    let k = 0;
    for (const name of layers) {
      const g = f.create_group(name);
      const conv = VGG19_CONVS.find((m) => kerasName(m.name) === name);
      if (!conv) {
        g.create_attribute('weight_names', new Float64Array(0), [0], '<d'); // h5py's empty list
        continue;
      }
      const names = [`${name}_W_1:0`, `${name}_b_1:0`];
      g.create_attribute('weight_names', names, [2], fixed(names));
      g.create_dataset({ name: names[0]!, data: values(9 * conv.cin * conv.cout, k), shape: [3, 3, conv.cin, conv.cout], dtype: '<f' });
      g.create_dataset({ name: names[1]!, data: values(conv.cout, 100 + k), shape: [conv.cout], dtype: '<f' });
      k++;
    }
  });
}

/** Keras's layer names for VGG-16/19 notop, by convs per block: input_1, block1_conv1, ..., block5_pool. */
export function kerasLayerNames(perBlock: readonly number[]): string[] {
  return [
    'input_1',
    ...perBlock.flatMap((n, b) => [...Array.from({ length: n }, (_, j) => `block${b + 1}_conv${j + 1}`), `block${b + 1}_pool`]),
  ];
}
