// What Keras-trained VGG-19 files share, whichever container they come in (HDF5, TF.js):
// layer names (block1_conv1), HWIO kernels, and Caffe's input convention.

import { CAFFE_INPUT, kerasName, VGG19_CONVS, type VggModule, type VggWeights, type WeightTensor } from '../../vgg/index.js';
import type { FoundLayout } from './architecture.js';
import { ConvertError } from './convert-error.js';
import { show } from '../../util/quote.js';

/** The convs to convert: all 16, or those up to a layer the user names (conv3_4, block3_conv4, 16). */
export function convsUpTo(upTo: number | undefined): VggModule[] {
  return VGG19_CONVS.filter((m) => upTo === undefined || m.index <= upTo);
}

/** Keras kernel [3, 3, Cin, Cout] (HWIO) -> ours [Cout, Cin, 3, 3]. */
export function hwioToOihw(data: Float32Array, shape: readonly number[], layer: VggModule, source: string): WeightTensor {
  const [kh, kw, cin, cout] = shape;
  if (shape.length !== 4 || kh !== 3 || kw !== 3 || cin !== layer.cin || cout !== layer.cout) {
    throw new ConvertError(
      `${source}: ${kerasName(layer.name)} kernel has shape ${show(shape)}, expected [3,3,${layer.cin},${layer.cout}] (HWIO): not VGG-19's`,
    );
  }
  checkValues(data, cout * cin * 9, `${kerasName(layer.name)} kernel`, source);
  const out = new Float32Array(cout * cin * 9);
  for (let h = 0; h < 3; h++)
    for (let w = 0; w < 3; w++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * 3 + h) * 3 + w] = data[((h * 3 + w) * cin + i) * cout + o]!;
  return { shape: [cout, cin, 3, 3], data: out };
}

export function checkBias(data: Float32Array, shape: readonly number[], layer: VggModule, source: string): WeightTensor {
  if (shape.length !== 1 || shape[0] !== layer.cout) {
    throw new ConvertError(`${source}: ${kerasName(layer.name)} bias has shape ${show(shape)}, expected [${layer.cout}]: not VGG-19's`);
  }
  checkValues(data, layer.cout, `${kerasName(layer.name)} bias`, source);
  return { shape: [layer.cout], data };
}

/** Corrupt files can hold NaN or infinite weights that no trained network has: refuse them here, not in the loss. */
export function checkValues(data: Float32Array, count: number, what: string, source: string): void {
  if (data.length !== count)
    throw new ConvertError(`${source}: ${what} holds ${data.length} values, expected ${count}; the file is corrupt`);
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new ConvertError(`${source}: ${what} holds ${data[bad]} at index ${bad}; the file is corrupt`);
}

export function kerasWeights(tensors: Map<string, WeightTensor>, provenance: Record<string, string>): VggWeights {
  return {
    architecture: 'vgg19',
    tensors,
    input: { ...CAFFE_INPUT },
    provenance: { ...provenance, inputConvention: 'Caffe: BGR, 0-255, minus mean, no std' },
  };
}

/** What Keras's layer names say about the network: convs by block (block3_conv4), and whether the classifier is there. */
export function kerasLayout(layers: readonly string[]): FoundLayout {
  const convs = layers.flatMap((name) => {
    const match = /^block(\d)_conv\d+$/.exec(name);
    return match ? [{ name, block: Number(match[1]) }] : [];
  });
  return { convs, complete: layers.some((name) => /^(fc\d|predictions|flatten)$/.test(name)), names: layers };
}
