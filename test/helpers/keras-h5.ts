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

/** Convs up to module `upTo`; 'new' names are "block1_conv1/kernel:0", 'old' ones "block1_conv1_W_1:0". */
export async function writeKerasH5(
  path: string,
  upTo: number,
  style: 'new' | 'old',
  values: (n: number, seed: number) => Float32Array = ramp,
) {
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
      });
      holder.create_dataset({ name: bias.split('/').pop()!, data: values(m.cout, 100 + k), shape: [m.cout], dtype: '<f' });
    });
  });
}
