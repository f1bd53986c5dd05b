import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeWeights, encodeWeights, readHeader } from '../src/io/weights/format.js';
import { recordedSize } from '../src/io/weights/hdf5.js';
import { ConvertError } from '../src/io/weights/convert-error.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { convertTfjs } from '../src/io/weights/tfjs.js';
import { convertKerasH5 } from '../src/node/keras-h5.js';
import { convertTfjsFolder, readWeightsFile, writeWeightsFile } from '../src/node/weights-files.js';
import { UserError } from '../src/util/errors.js';
import { layerIndex } from '../src/vgg/index.js';
import { ramp, writeH5, writeKerasH5 } from './helpers/keras-h5.js';
import { sharedAvailable, TFJS_MODEL } from './helpers/shared.js';
import { tfjsModel, type TfjsModel } from './helpers/tfjs-model.js';
import { binParts, binWithHeader } from './helpers/weights-mutations.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-weights-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('weights file format', () => {
  it('round-trips synthetic weights bit for bit, with the input convention and provenance', async () => {
    const weights = syntheticWeights(3, 9);
    const decoded = await decodeWeights(await encodeWeights(weights), 'w.bin');
    expect([...decoded.tensors.keys()]).toEqual([
      'conv1_1.weight',
      'conv1_1.bias',
      'conv1_2.weight',
      'conv1_2.bias',
      'conv2_1.weight',
      'conv2_1.bias',
      'conv2_2.weight',
      'conv2_2.bias',
    ]);
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
    await expect(decodeWeights(new TextEncoder().encode('GIF89a........'), 'cat.gif')).rejects.toThrow(
      /cat\.gif: not a wgpu-style weights file/,
    );
    await expect(decodeWeights(good.subarray(0, good.byteLength - 10), 'short.bin')).rejects.toThrow(
      /short\.bin: truncated: expected \d+ bytes/,
    );
    const flipped = good.slice();
    flipped[flipped.byteLength - 5]! ^= 0xff;
    await expect(decodeWeights(flipped, 'flip.bin')).rejects.toThrow(/flip\.bin: checksum mismatch/);
    const header = new TextDecoder().decode(good.subarray(12, 12 + new DataView(good.buffer).getUint32(8, true)));
    const badShape = header.replace('"shape":[64,3,3,3]', '"shape":[64,3,3,4]');
    const patched = good.slice();
    patched.set(new TextEncoder().encode(badShape), 12);
    await expect(decodeWeights(patched, 'shape.bin')).rejects.toThrow(
      /shape\.bin: tensor conv1_1\.weight has shape \[64,3,3,4\], expected \[64,3,3,3\]/,
    );
  });

  it('refuses short files and hand-made headers (null, no tensors, input null, wrong types), naming the file and the field in one line', async () => {
    const good = await encodeWeights(syntheticWeights(1, 2));
    const { header, data } = binParts(good);
    const made = (changes: Record<string, unknown>) => binWithHeader(JSON.stringify({ ...header, ...changes }), data);
    const tensor0 = (changes: Record<string, unknown>) =>
      made({ tensors: [{ ...(header.tensors as object[])[0], ...changes }, ...(header.tensors as object[]).slice(1)] });
    const cases: Array<[Uint8Array, RegExp]> = [
      [good.slice(0, 8), /^x\.bin: truncated: 8 bytes, too short for a header/],
      [Uint8Array.from({ length: 100 }, (_, i) => (i * 37) & 0xff), /^x\.bin: not a wgpu-style weights file/],
      [
        binWithHeader(JSON.stringify(header), data, 0xffffffff),
        /^x\.bin: truncated: the header says 4294967295 bytes but the file has \d+/,
      ],
      [binWithHeader('null', data), /^x\.bin: the JSON header is null, not an object/],
      [binWithHeader('{"format":', data), /^x\.bin: the JSON header is corrupt/],
      [made({ tensors: undefined }), /^x\.bin: header field tensors is missing, expected a list/],
      [made({ input: null }), /^x\.bin: header field input is null, expected an object/],
      [made({ input: { ...(header.input as object), mean: [1, 2] } }), /header field input\.mean is \[1,2\], expected three numbers/],
      [
        made({ input: { ...(header.input as object), std: [1, 0, 1] } }),
        /header field input\.std is \[1,0,1\], expected three numbers > 0/,
      ],
      [made({ upTo: '4' }), /header field upTo is "4", expected a VGG-19 module index 0–36/],
      [made({ upTo: 99 }), /header field upTo is 99/],
      [made({ dataBytes: -1 }), /header field dataBytes is -1, expected a byte count/],
      [made({ provenance: { seed: 1 } }), /header field provenance is \{"seed":1\}, expected an object of strings/],
      [made({ sha256: 7 }), /header field sha256 is 7, expected 64 hex digits/],
      [made({ tensors: [null] }), /header tensors\[0\] is null, not an object/],
      [tensor0({ shape: '64' }), /header tensors\[0\] \("conv1_1\.weight"\) has shape "64", expected a list of whole numbers/],
      [
        tensor0({ offset: 2 ** 60 }),
        /header tensors\[0\] \("conv1_1\.weight"\) has byte range 1152921504606847000\+6912, expected whole numbers/,
      ],
      [tensor0({ name: 'x'.repeat(10_000) }), /tensor 0 is "x{50,}…, expected "conv1_1\.weight"$/],
    ];
    for (const [bytes, message] of cases) {
      for (const read of [() => decodeWeights(bytes, 'x.bin'), async () => readHeader(bytes, 'x.bin')]) {
        const err = await read().then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, String(message)).toBeInstanceOf(UserError);
        expect((err as Error).message).toMatch(message);
        expect((err as Error).message).not.toContain('\n');
      }
    }
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

describe.runIf(sharedAvailable('TF.js converter on the real partial VGG-19', TFJS_MODEL))(
  'TF.js converter (real ../shared weights)',
  () => {
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
      for (const [h, w, i, o] of [
        [0, 0, 0, 0],
        [2, 1, 2, 63],
        [1, 2, 0, 17],
      ] as const) {
        expect(ours[((o * 3 + i) * 3 + h) * 3 + w]).toBe(raw[((h * 3 + w) * 3 + i) * 64 + o]);
      }
    });

    it('refuses the whole model, listing the missing shard files and what they hold', async () => {
      const attempt = convertTfjsFolder(TFJS_MODEL);
      await expect(attempt).rejects.toThrow(/group9-shard1of2.*group10-shard1of3, group10-shard2of3/);
      await expect(attempt).rejects.toThrow(/they hold block4_conv1, block4_conv2.*block5_conv4$/);
      await expect(attempt).rejects.toMatchObject({ upTo: 18 });
    });

    it('reports a truncated shard instead of producing garbage', async () => {
      const copy = join(work, 'tfjs-truncated');
      cpSync(join(TFJS_MODEL, '..'), copy, { recursive: true, filter: (src) => !/group1[0-9]|group9/.test(src) });
      truncateSync(join(copy, 'group3-shard1of1'), 1000);
      await expect(convertTfjsFolder(join(copy, 'model.json'), 16)).rejects.toThrow(
        /group3-shard1of1 hold 1000 bytes but their weights need 295424/,
      );
    });
  },
);

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
    const attempt = convertKerasH5(path, { upTo: 7 });
    await expect(attempt).rejects.toThrow(/no layer group "block2_conv1"$/);
    await expect(attempt).rejects.toMatchObject({ upTo: 4 });
  });

  it('gives a clear error for a file that is not HDF5 and for a truncated one, with the size HDF5 records and the actual size', async () => {
    const junk = join(work, 'junk.h5');
    writeFileSync(junk, 'not an hdf5 file at all');
    await expect(convertKerasH5(junk)).rejects.toThrow(/junk\.h5: not an HDF5 file/);
    const path = join(work, 'keras-cut.h5');
    await writeKerasH5(path, 2, 'new', ramp);
    const size = readFileSync(path).byteLength;
    truncateSync(path, Math.floor(size / 2));
    await expect(convertKerasH5(path, { upTo: 2 })).rejects.toThrow(
      new RegExp(
        `keras-cut\\.h5: truncated or corrupt: HDF5 records ${size} bytes but the file has ${Math.floor(size / 2)}\\. Download it again`,
      ),
    );
  });

  it('reads the recorded file size from superblocks of versions 0–3, and flags impossible ones', async () => {
    const v0 = new Uint8Array(64);
    v0.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0, 0, 8, 8, 0]);
    const view = new DataView(v0.buffer);
    view.setBigUint64(24, 0n, true); // base address
    view.setBigUint64(32, 0xffffffffffffffffn, true); // free-space info: undefined
    view.setBigUint64(40, 123_456n, true); // end of file
    expect(recordedSize(v0, 0)).toEqual({ bytes: 123_456 });
    v0[8] = 1; // version 1: two more fields before the addresses
    view.setBigUint64(48, 4_000n, true);
    view.setBigUint64(28, 0n, true);
    view.setBigUint64(44, 4_000n, true);
    expect(recordedSize(v0, 0)).toEqual({ bytes: 4_000 });
    v0[13] = 3;
    expect(recordedSize(v0, 0)).toEqual({ problem: 'its superblock says addresses take 3 bytes' });
    v0[8] = 9;
    expect(recordedSize(v0, 0)).toEqual({ unknown: 'superblock version 9' });
    const path = join(work, 'keras-sb.h5'); // h5wasm writes version 2 or 3
    await writeKerasH5(path, 2, 'new', ramp);
    const bytes = readFileSync(path);
    expect([2, 3]).toContain(bytes[8]);
    expect(recordedSize(bytes.subarray(0, 64), 0)).toEqual({ bytes: bytes.byteLength });
  });

  it('reports a damaged file (a metadata checksum) in one line, and gives up on one that sends HDF5 into a loop', async () => {
    const path = join(work, 'keras-damaged.h5');
    await writeKerasH5(path, 4, 'new', ramp);
    const good = readFileSync(path);
    const damaged = Uint8Array.from(good);
    damaged[good.indexOf('OHDR', 300) + 20]! ^= 0xff; // inside an object header: its checksum no longer matches
    writeFileSync(path, damaged);
    const err = await convertKerasH5(path, { upTo: 4 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ConvertError);
    expect((err as Error).message).toMatch(/keras-damaged\.h5: cannot read .*\(.*checksum.*\); the file is corrupt/);
    expect((err as Error).message).not.toMatch(/\n|HDF5-DIAG/);
    // One bit in the global heap that holds layer_names and weight_names (found by fuzzing): HDF5 never returns.
    const looping = Uint8Array.from(good);
    looping[good.indexOf('GCOL') + 129]! ^= 1;
    writeFileSync(path, looping);
    const started = performance.now();
    await expect(convertKerasH5(path, { upTo: 4, callLimitMs: 1000 })).rejects.toThrow(
      /keras-damaged\.h5: HDF5 did not read (the layer names|block1_conv1's weight_names) within 1 s .*the file is corrupt/,
    );
    expect(performance.now() - started).toBeLessThan(3000);
    writeFileSync(path, good); // the stopped reader is replaced
    expect((await convertKerasH5(path, { upTo: 4 })).tensors.size).toBe(4);
  });

  it('refuses Keras files of other architectures, naming what differs', async () => {
    const layer = (
      f: Parameters<Parameters<typeof writeH5>[1]>[0],
      name: string,
      kernel: { shape: number[]; data?: Float32Array | Float64Array; dtype?: string },
      names?: string[],
    ) => {
      const g = f.create_group(name);
      g.create_attribute('weight_names', names ?? [`${name}/kernel:0`, `${name}/bias:0`]);
      const holder = g.create_group(name);
      const n = kernel.shape.reduce((a, b) => a * b, 1);
      holder.create_dataset({ name: 'kernel:0', data: kernel.data ?? ramp(n, 1), shape: kernel.shape, dtype: kernel.dtype ?? '<f' });
      holder.create_dataset({ name: 'bias:0', data: ramp(kernel.shape.at(-1)!, 2), shape: [kernel.shape.at(-1)!], dtype: '<f' });
    };
    const cases: Array<[string, (f: Parameters<Parameters<typeof writeH5>[1]>[0]) => void, RegExp]> = [
      [
        'narrow',
        (f) => layer(f, 'block1_conv1', { shape: [3, 3, 3, 32] }),
        /dataset "block1_conv1\/block1_conv1\/kernel:0" has shape \[3,3,3,32\], expected \[3,3,3,64\]: not VGG-19's/,
      ],
      ['dense', (f) => layer(f, 'block1_conv1', { shape: [25088, 10] }), /has shape \[25088,10\], expected \[3,3,3,64\]/],
      [
        'other-names',
        (f) => (layer(f, 'conv2d_1', { shape: [3, 3, 3, 64] }), layer(f, 'dense_1', { shape: [64, 10] })),
        /no VGG conv layers found \(names such as \["conv2d_1","dense_1"\]\); wgpu-style needs VGG-19/,
      ],
      [
        'dataset-layer',
        (f) => f.create_dataset({ name: 'block1_conv1', data: ramp(4, 1), shape: [4], dtype: '<f' }),
        /block1_conv1 is not a layer group/,
      ],
      [
        'float64',
        (f) => layer(f, 'block1_conv1', { shape: [3, 3, 3, 64], data: Float64Array.from(ramp(1728, 1)), dtype: '<d' }),
        /has type "<d", expected little-endian float32/,
      ],
      [
        'three-names',
        (f) => layer(f, 'block1_conv1', { shape: [3, 3, 3, 64] }, ['a/kernel:0', 'b/bias:0', 'c']),
        /has weight_names \["a\/kernel:0","b\/bias:0","c"\], expected a kernel and a bias/,
      ],
      [
        'names-a-group',
        (f) => layer(f, 'block1_conv1', { shape: [3, 3, 3, 64] }, ['block1_conv1/kernel:0', 'block1_conv1']),
        /cannot tell kernel from bias|no such dataset/,
      ],
      [
        'nan',
        (f) => layer(f, 'block1_conv1', { shape: [3, 3, 3, 64], data: Float32Array.from(ramp(1728, 1), (v, i) => (i === 7 ? NaN : v)) }),
        /block1_conv1 kernel holds NaN at index \d+; the file is corrupt/,
      ],
    ];
    for (const [name, build, message] of cases) {
      const path = join(work, `other-${name}.h5`);
      await writeH5(path, build);
      await expect(convertKerasH5(path, { upTo: 2 }), name).rejects.toThrow(message);
    }
  });
});

describe('TF.js converter (generated models)', () => {
  const reader = (model: TfjsModel) => async (path: string) => model.shards.get(path) ?? null;

  it('converts a generated model and refuses other architectures, wrong shapes and odd manifests, naming the field', async () => {
    const good = tfjsModel(4);
    expect((await convertTfjs(good.json, reader(good), { upTo: 4 })).tensors.size).toBe(4);
    const narrow = tfjsModel(4);
    narrow.json.weightsManifest[0]!.weights[0]!.shape = [3, 3, 6, 32]; // as many values: the shard still fits
    const renamed = structuredClone(good.json);
    renamed.weightsManifest.forEach((g, i) => g.weights.forEach((w) => (w.name = w.name.replace(/block1_conv\d/, `conv2d_${i + 1}`))));
    const edit = (change: (json: TfjsModel['json']) => void) => {
      const json = structuredClone(good.json);
      change(json);
      return json;
    };
    const cases: Array<[unknown, RegExp]> = [
      [null, /m\.json: no weightsManifest; is this a TensorFlow\.js layers model\?/],
      [{ weightsManifest: [null] }, /weightsManifest\[0\] is null, expected an object with paths and weights/],
      [narrow.json, /block1_conv1 kernel has shape \[3,3,6,32\], expected \[3,3,3,64\] \(HWIO\): not VGG-19's/],
      [renamed, /m\.json: no VGG conv layers found \(names such as \["conv2d_1","conv2d_2"\]\); wgpu-style needs VGG-19/],
      [
        edit((j) => (j.weightsManifest[0]!.paths = ['../../etc/passwd'])),
        /weightsManifest\[0\]\.paths\[0\] is "\.\.\/\.\.\/etc\/passwd", expected a file name beside model\.json/,
      ],
      [edit((j) => (j.weightsManifest[0]!.paths = ['/dev/zero'])), /paths\[0\] is "\/dev\/zero"/],
      [
        edit((j) => (j.weightsManifest[1]!.weights[0]!.shape = ['3'] as unknown as number[])),
        /weightsManifest\[1\]\.weights\[0\]\.shape is \["3"\], expected a list of whole numbers/,
      ],
      [
        edit((j) => (j.weightsManifest[1]!.weights[0]!.shape = [3, 3, 64, 2 ** 40])),
        /shards group2-shard1of2, group2-shard2of2 hold 147712 bytes but their weights need 2533274790396160; .* not block1_conv2's/,
      ],
      [
        edit((j) => (j.weightsManifest[0]!.weights[1]!.dtype = 'int32\n')),
        /"block1_conv1\/bias" is "int32\\n"; only unquantized float32 is supported/,
      ],
    ];
    for (const [json, message] of cases) {
      const err = await convertTfjs(json, reader(narrow.json === json ? narrow : good), { upTo: 4, source: 'm.json' }).catch(
        (e: unknown) => e,
      );
      expect(err, String(message)).toBeInstanceOf(ConvertError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    }
  });
});
