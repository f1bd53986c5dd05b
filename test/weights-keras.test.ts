// Keras files laid out as the real download is (fixed-length strings, old dataset names, no
// model_weights), and Keras/TF.js files of other architectures refused by name before anything
// is converted, --up-to or not.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConvertError } from '../src/io/weights/convert-error.js';
import { convertTfjs } from '../src/io/weights/tfjs.js';
import { convertKerasH5 } from '../src/node/keras-h5.js';
import { kerasLayerNames, ramp, writeRealLayoutKerasH5 } from './helpers/keras-h5.js';
import { tfjsModel } from './helpers/tfjs-model.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-keras-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const VGG19_BLOCKS = [2, 2, 4, 4, 4];
const VGG16_BLOCKS = [2, 2, 3, 3, 3];

describe('Keras HDF5 as the real file lays it out', () => {
  it('reads fixed-length ASCII layer_names and weight_names, block1_conv1_W_1:0 datasets in the layer group, no model_weights', async () => {
    const path = join(work, 'real-layout.h5');
    await writeRealLayoutKerasH5(path, kerasLayerNames(VGG19_BLOCKS).slice(0, 7)); // input_1 .. block2_pool
    const weights = await convertKerasH5(path, { upTo: 9 });
    expect(weights.tensors.size).toBe(8);
    const hwio = ramp(9 * 64 * 128, 2); // block2_conv1, the third conv
    const ours = weights.tensors.get('conv2_1.weight')!.data;
    expect(ours[((5 * 64 + 7) * 3 + 2) * 3 + 1]).toBe(hwio[((2 * 3 + 1) * 64 + 7) * 128 + 5]);
    expect(weights.tensors.get('conv1_2.bias')!.data).toEqual(ramp(64, 101));
    expect(weights.input.channelOrder).toBe('BGR');
  });

  it("refuses VGG-16's layout by name, also with --up-to before block3 (where its convs are VGG-19's)", async () => {
    const path = join(work, 'vgg16.h5');
    await writeRealLayoutKerasH5(path, kerasLayerNames(VGG16_BLOCKS).slice(0, 14)); // .. block4_conv2
    for (const upTo of [undefined, 4]) {
      const err = await convertKerasH5(path, { upTo }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConvertError);
      expect((err as Error).message).toMatch(/vgg16\.h5: this is VGG-16, not VGG-19; wgpu-style needs VGG-19/);
    }
  });

  it('refuses a ResNet-50 by its layer names and a VGG-19 with a classifier but missing blocks', async () => {
    const resnet = join(work, 'resnet.h5');
    await writeRealLayoutKerasH5(resnet, ['input_1', 'conv1', 'bn_conv1', 'res2a_branch2a', 'fc1000']);
    await expect(convertKerasH5(resnet, { upTo: 2 })).rejects.toThrow(
      /resnet\.h5: this is a ResNet \(it has layers such as "res2a_branch2a"\)/,
    );
    const short = join(work, 'short-with-top.h5');
    await writeRealLayoutKerasH5(short, [...kerasLayerNames(VGG19_BLOCKS).slice(0, 7), 'flatten', 'fc1', 'fc2', 'predictions']);
    await expect(convertKerasH5(short, { upTo: 2 })).rejects.toThrow(/not VGG-19: it holds 4 conv layers and a classifier; VGG-19 has 16/);
  });
});

describe('TF.js models of other architectures', () => {
  it('refuses a model whose manifest is VGG-16 (block3 has three convs), also with --up-to', async () => {
    const model = tfjsModel(4);
    const names = kerasLayerNames(VGG16_BLOCKS).filter((n) => n.includes('_conv'));
    model.json.weightsManifest.push({
      paths: [],
      weights: names.slice(2).map((n) => ({ name: `${n}/kernel`, shape: [1], dtype: 'float32' })),
    });
    const err = await convertTfjs(model.json, async (p) => model.shards.get(p) ?? null, { upTo: 4, source: 'm.json' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConvertError);
    expect((err as Error).message).toMatch(/m\.json: this is VGG-16, not VGG-19/);
  });
});
