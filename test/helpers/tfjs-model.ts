// Writes a small TensorFlow.js layers model in the layout Keras's converter produces for VGG-19
// (model.json whose weightsManifest has one group per conv, kernels HWIO, float32 shards).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kerasName, VGG19_CONVS } from '../../src/vgg/index.js';
import { ramp } from './keras-h5.js';

export interface TfjsModel {
  json: {
    modelTopology: unknown;
    weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string }> }>;
  };
  shards: Map<string, Uint8Array>;
}

/** The convs up to module `upTo`; the last group is split over two shards, as large layers are. */
export function tfjsModel(upTo: number, values: (n: number, seed: number) => Float32Array = ramp): TfjsModel {
  const convs = VGG19_CONVS.filter((m) => m.index <= upTo);
  const shards = new Map<string, Uint8Array>();
  const weightsManifest = convs.map((m, k) => {
    const name = kerasName(m.name);
    const kernel = values(9 * m.cin * m.cout, k);
    const bias = values(m.cout, 100 + k);
    const bytes = new Uint8Array(kernel.byteLength + bias.byteLength);
    bytes.set(new Uint8Array(kernel.buffer), 0);
    bytes.set(new Uint8Array(bias.buffer), kernel.byteLength);
    const group = k + 1;
    const split = k === convs.length - 1 && convs.length > 1;
    const paths = split ? [`group${group}-shard1of2`, `group${group}-shard2of2`] : [`group${group}-shard1of1`];
    if (split) {
      const half = Math.floor(bytes.byteLength / 2);
      shards.set(paths[0]!, bytes.slice(0, half));
      shards.set(paths[1]!, bytes.slice(half));
    } else {
      shards.set(paths[0]!, bytes);
    }
    return {
      paths,
      weights: [
        { name: `${name}/kernel`, shape: [3, 3, m.cin, m.cout], dtype: 'float32' },
        { name: `${name}/bias`, shape: [m.cout], dtype: 'float32' },
      ],
    };
  });
  const modelTopology = { keras_version: '2.1.4', backend: 'tensorflow', model_config: { class_name: 'Model', config: { name: 'vgg19' } } };
  return { json: { modelTopology, weightsManifest }, shards };
}

/** Writes model.json (the given text, or the model's JSON) and the shards into `dir`; returns model.json's path. */
export function writeTfjsModel(dir: string, model: TfjsModel, jsonText = JSON.stringify(model.json)): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of model.shards) writeFileSync(join(dir, name), bytes);
  writeFileSync(join(dir, 'model.json'), jsonText);
  return join(dir, 'model.json');
}
