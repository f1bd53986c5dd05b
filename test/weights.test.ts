import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeWeights, encodeWeights } from '../src/io/weights/format.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { convertKerasH5 } from '../src/node/keras-h5.js';
import { convertTfjsFolder, readWeightsFile, writeWeightsFile } from '../src/node/weights-files.js';
import { layerIndex } from '../src/vgg/index.js';
import { ramp, writeKerasH5 } from './helpers/keras-h5.js';
import { sharedAvailable, TFJS_MODEL } from './helpers/shared.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-weights-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('weights file format', () => {
  it('round-trips synthetic weights bit for bit, with the input convention and provenance', async () => {
    const weights = syntheticWeights(3, 9);
    const decoded = await decodeWeights(await encodeWeights(weights), 'w.bin');
    expect([...decoded.tensors.keys()]).toEqual(['conv1_1.weight', 'conv1_1.bias', 'conv1_2.weight', 'conv1_2.bias', 'conv2_1.weight', 'conv2_1.bias', 'conv2_2.weight', 'conv2_2.bias']);
    for (const [name, t] of weights.tensors) expect(decoded.tensors.get(name)!.data).toEqual(t.data);
    expect(decoded.input).toEqual(weights.input);
    expect(decoded.provenance.source).toBe('synthetic');
  });

  it('synthetic weights are deterministic per seed', () => {
    const a = syntheticWeights(5, 2).tensors.get('conv1_2.weight')!.data;
    expect(syntheticWeights(5, 2).tensors.get('conv1_2.weight')!.data).toEqual(a);
    expect(syntheticWeights(6, 2).tensors.get('conv1_2.weight')!.data).not.toEqual(a);
  });

  it('rejects a file with another magic, a truncated file, a flipped data byte and a wrong shape, naming the file', async () => {
    const good = await encodeWeights(syntheticWeights(1, 2));
    await expect(decodeWeights(new TextEncoder().encode('GIF89a........'), 'cat.gif')).rejects.toThrow(/cat\.gif: not a wgpu-style weights file/);
    await expect(decodeWeights(good.subarray(0, good.byteLength - 10), 'short.bin')).rejects.toThrow(/short\.bin: truncated: expected \d+ bytes/);
    const flipped = good.slice();
    flipped[flipped.byteLength - 5]! ^= 0xff;
    await expect(decodeWeights(flipped, 'flip.bin')).rejects.toThrow(/flip\.bin: checksum mismatch/);
    const header = new TextDecoder().decode(good.subarray(12, 12 + new DataView(good.buffer).getUint32(8, true)));
    const badShape = header.replace('"shape":[64,3,3,3]', '"shape":[64,3,3,4]');
    const patched = good.slice();
    patched.set(new TextEncoder().encode(badShape), 12);
    await expect(decodeWeights(patched, 'shape.bin')).rejects.toThrow(/shape\.bin: tensor conv1_1\.weight has shape \[64,3,3,4\], expected \[64,3,3,3\]/);
  });

  it('writes files atomically and reads them back', async () => {
    const path = join(work, 'synthetic.bin');
    await writeWeightsFile(path, syntheticWeights(2, 4));
    const back = await readWeightsFile(path);
    expect(back.tensors.size).toBe(4);
    await expect(readWeightsFile(join(work, 'missing.bin'))).rejects.toThrow(/missing\.bin: cannot read weights \(ENOENT\).*weights fetch/);
  });
});

describe('layer names', () => {
  it('accepts indices, torchvision-style and Keras names', () => {
    expect(layerIndex(25)).toBe(25);
    expect(layerIndex('conv4_4')).toBe(25);
    expect(layerIndex('relu4_2')).toBe(22);
    expect(layerIndex('pool3')).toBe(18);
    expect(layerIndex('block3_conv4')).toBe(16);
    expect(() => layerIndex('conv9_1')).toThrow(/unknown VGG-19 layer "conv9_1"/);
    expect(() => layerIndex(40)).toThrow(/out of range/);
  });
});

describe.runIf(sharedAvailable('TF.js converter on the real partial VGG-19', TFJS_MODEL))('TF.js converter (real ../shared weights)', () => {
  it('converts blocks 1–3 up to block3_conv4 with the known first biases', async () => {
    const weights = await convertTfjsFolder(TFJS_MODEL, layerIndex('block3_conv4'));
    expect(weights.tensors.size).toBe(16);
    const bias = weights.tensors.get('conv1_1.bias')!.data;
    [0.7301776, 0.0649363, 0.0342885, 0.8260386].forEach((b, i) => expect(bias[i]).toBeCloseTo(b, 7));
    expect(weights.input.channelOrder).toBe('BGR');
    expect(weights.input.mean).toEqual([103.939, 116.779, 123.68]);
    // HWIO -> OIHW: kernel[h][w][i][o] lands at [o][i][h][w].
    const raw = new Float32Array(readFileSync(join(TFJS_MODEL, '..', 'group1-shard1of1')).buffer.slice(0, 3 * 3 * 3 * 64 * 4));
    const ours = weights.tensors.get('conv1_1.weight')!.data;
    for (const [h, w, i, o] of [[0, 0, 0, 0], [2, 1, 2, 63], [1, 2, 0, 17]] as const) {
      expect(ours[((o * 3 + i) * 3 + h) * 3 + w]).toBe(raw[((h * 3 + w) * 3 + i) * 64 + o]);
    }
  });

  it('refuses the whole model, listing the missing shard files and what they hold', async () => {
    const attempt = convertTfjsFolder(TFJS_MODEL);
    await expect(attempt).rejects.toThrow(/group9-shard1of2.*group10-shard1of3, group10-shard2of3/);
    await expect(attempt).rejects.toThrow(/they hold block4_conv1, block4_conv2.*block5_conv4\. Convert up to the layer before it with --up-to 18/);
  });

  it('reports a truncated shard instead of producing garbage', async () => {
    const copy = join(work, 'tfjs-truncated');
    cpSync(join(TFJS_MODEL, '..'), copy, { recursive: true, filter: (src) => !/group1[0-9]|group9/.test(src) });
    truncateSync(join(copy, 'group3-shard1of1'), 1000);
    await expect(convertTfjsFolder(join(copy, 'model.json'), 16)).rejects.toThrow(/group3-shard1of1 hold 1000 bytes but their weights need 295424/);
  });
});

describe('Keras HDF5 converter', () => {

  for (const style of ['new', 'old'] as const) {
    it(`reads layers through weight_names (${style} Keras names) and transposes HWIO kernels`, async () => {
      const path = join(work, `keras-${style}.h5`);
      await writeKerasH5(path, 4, style, ramp);
      const weights = await convertKerasH5(path, { upTo: 4 });
      expect(weights.tensors.size).toBe(4); // conv1_1 and conv1_2, weight and bias
      const hwio = ramp(9 * 64 * 64, 1);
      const ours = weights.tensors.get('conv1_2.weight')!.data;
      expect(ours[((5 * 64 + 7) * 3 + 2) * 3 + 1]).toBe(hwio[((2 * 3 + 1) * 64 + 7) * 64 + 5]);
      expect(Array.from(weights.tensors.get('conv1_1.bias')!.data.subarray(0, 3))).toEqual(Array.from(ramp(64, 100).subarray(0, 3)));
      expect(weights.input.channelOrder).toBe('BGR');
    });
  }

  it('names the missing layer group of an incomplete file', async () => {
    const path = join(work, 'keras-short.h5');
    await writeKerasH5(path, 2, 'new', ramp);
    await expect(convertKerasH5(path, { upTo: 7 })).rejects.toThrow(/no layer group "block2_conv1"; use --up-to 4/);
  });

  it('gives a clear error for a file that is not HDF5 and for a truncated one', async () => {
    const junk = join(work, 'junk.h5');
    writeFileSync(junk, 'not an hdf5 file at all');
    await expect(convertKerasH5(junk)).rejects.toThrow(/junk\.h5: not an HDF5 file/);
    const path = join(work, 'keras-cut.h5');
    await writeKerasH5(path, 2, 'new', ramp);
    truncateSync(path, Math.floor(readFileSync(path).byteLength / 2));
    await expect(convertKerasH5(path, { upTo: 2 })).rejects.toThrow(/keras-cut\.h5: .*(truncated|corrupt|not a readable)/);
  });
});
