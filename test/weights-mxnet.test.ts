// MXNet .params files: the committed fixtures follow MXNet's writer byte for byte
// (scripts/make-mxnet-fixtures.py, both name spellings, every header version); other shapes are
// written here with the same layout (test/helpers/mxnet-params.ts).

import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memorySource } from '../src/io/weights/bytes.js';
import { ConvertError } from '../src/io/weights/convert-error.js';
import { convertMxnet } from '../src/io/weights/mxnet.js';
import { TORCHVISION_CONVENTION } from '../src/io/weights/state-dict.js';
import { MAX_EXTRACTED_BYTES } from '../src/node/weights-sources.js';
import { extractOne } from '../src/node/zip-extract.js';
import { TORCHVISION_INPUT, VGG19_CONVS } from '../src/vgg/index.js';
import { fixture, manifest } from './helpers/weights-fixtures.js';
import { concat, gluonConvs, paramsFile, type ParamsArray } from './helpers/mxnet-params.js';
import { zipFile } from './helpers/zip-writer.js';

const sha256 = (data: Float32Array) =>
  createHash('sha256')
    .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    .digest('hex');
const convert = (bytes: Uint8Array, upTo?: number, name = 'x.params') => convertMxnet(memorySource(bytes, name), { upTo });

async function refusal(bytes: Uint8Array, upTo?: number): Promise<string> {
  const err = await convert(bytes, upTo).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConvertError);
  expect((err as Error).message).not.toContain('\n');
  return (err as Error).message;
}

describe('MXNet .params', () => {
  for (const [file, names] of [
    ['gluon-vgg19-block1.params', ['features.0.weight', 'features.0.bias', 'features.2.weight', 'features.2.bias']],
    ['prefixed-vgg19-block1.params', ['vgg0_conv0_weight', 'vgg0_conv0_bias', 'vgg0_conv1_weight', 'vgg0_conv1_bias']],
  ] as const) {
    it(`${file}: maps ${names[0]}, ... to conv1_1 and conv1_2, bit for bit, in torchvision's convention`, async () => {
      const weights = await convert(fixture(file), 4, file);
      const expected = manifest('mxnet')[file]!;
      const ours = ['conv1_1.weight', 'conv1_1.bias', 'conv1_2.weight', 'conv1_2.bias'];
      expect([...weights.tensors.keys()]).toEqual(ours);
      ours.forEach((name, i) => expect(sha256(weights.tensors.get(name)!.data), name).toBe(expected[names[i]!]));
      const w = weights.tensors.get('conv1_1.weight')!.data;
      expect([Object.is(w[0], -0), w[1], w[2]]).toEqual([true, 2 ** -149, 3.4028234663852886e38]);
      expect(weights.input).toEqual(TORCHVISION_INPUT);
      expect(weights.provenance).toMatchObject({ format: 'mxnet-params', inputConvention: TORCHVISION_CONVENTION });
    });
  }

  it('reads "arg:" names (HybridBlock.export) and skips a classifier, reading only the convs asked for', async () => {
    const arrays: ParamsArray[] = [
      ...gluonConvs(VGG19_CONVS.slice(0, 2)).map((a) => ({ ...a, name: `arg:${a.name}` })),
      { name: 'arg:output.weight', shape: [1000, 4096] },
    ];
    // A classifier says the features are complete: two convs are not VGG-19's sixteen.
    expect(await refusal(paramsFile(arrays), 4)).toMatch(/x\.params: not VGG-19: it holds 2 conv layers and a classifier; VGG-19 has 16/);
    const weights = await convert(paramsFile(arrays.slice(0, 4)), 4);
    expect(weights.tensors.size).toBe(4);
  });

  it('refuses VGG-16, VGG-19-BN and ResNets by name in both spellings, also with --up-to', async () => {
    const vgg16 = [0, 2, 5, 7, 10, 12, 14, 17].map((index, k) => ({
      index,
      cin: [3, 64, 64, 128, 128, 256, 256, 256][k]!,
      cout: [64, 64, 128, 128, 256, 256, 256, 512][k]!,
    }));
    const bn = (name: string) => ['gamma', 'beta', 'running_mean', 'running_var'].map((p) => ({ name: name + p, shape: [64] }));
    const cases: Array<[ParamsArray[], RegExp]> = [
      [gluonConvs(vgg16), /x\.params: this is VGG-16, not VGG-19/],
      [
        gluonConvs(vgg16).map((a, i) => ({ ...a, name: `vgg0_conv${i >> 1}_${a.name.endsWith('weight') ? 'weight' : 'bias'}` })),
        /this is VGG-16, not VGG-19/,
      ],
      [[...gluonConvs(VGG19_CONVS.slice(0, 1)), ...bn('features.1.')], /this is VGG-19-BN \(with batch norm: "features\.1\.gamma"\)/],
      [
        [{ name: 'vgg0_conv0_weight', shape: [64, 3, 3, 3] }, { name: 'vgg0_conv0_bias', shape: [64] }, ...bn('vgg0_batchnorm0_')],
        /this is VGG-19-BN/,
      ],
      [[{ name: 'resnetv10_conv0_weight', shape: [64, 3, 7, 7] }, ...bn('resnetv10_batchnorm0_')], /this is a ResNet/],
      [
        [
          { name: 'features.0.weight', shape: [64, 3, 7, 7] },
          { name: 'features.4.0.body.0.weight', shape: [64, 64, 3, 3] },
        ],
        /this is a ResNet/,
      ],
    ];
    for (const [arrays, message] of cases) {
      for (const upTo of [undefined, 2]) expect(await refusal(paramsFile(arrays), upTo), String(message)).toMatch(message);
    }
  });

  it('reports damaged files in one line, naming the array and the fix', async () => {
    const good = fixture('gluon-vgg19-block1.params');
    const at = (bytes: Uint8Array, offset: number, value: number) => {
      const copy = Uint8Array.from(bytes);
      new DataView(copy.buffer).setUint32(offset, value, true);
      return copy;
    };
    const unnamed = paramsFile(gluonConvs(VGG19_CONVS.slice(0, 1)));
    const cases: Array<[Uint8Array, RegExp]> = [
      [new TextEncoder().encode('not params at all'), /x\.params: not an MXNet \.params file/],
      [
        good.subarray(0, good.byteLength - 200),
        /x\.params: truncated or corrupt: name \d+.* needs bytes|truncated or corrupt: array 3's data/,
      ],
      [
        good.subarray(0, 2000),
        /x\.params: truncated or corrupt: array 0's data \(shape \[64,3,3,3\]\) needs bytes 80–6992 but the file has 2000/,
      ],
      [at(good, 28, 2), /array 0 has storage type 2 \(sparse\)/],
      [at(good, 24, 0xdeadbeef), /array 0 has header 3735928559, which is neither an NDArray magic number nor a number of dimensions/],
      [at(good, 16, 1e9), /claims 1000000000 arrays, more than the file can hold/],
      [
        concat([unnamed.subarray(0, unnamed.byteLength - 56), new Uint8Array(8)]),
        /its 2 arrays have no names \(saved with mx\.nd\.save of a list\)/,
      ],
    ];
    for (const [bytes, message] of cases) expect(await refusal(bytes, 4), String(message)).toMatch(message);
  });
});

describe("the model zoo's zip (weights fetch --from mxnet takes the .params out of it)", () => {
  it('refuses an entry stating 0 compressed bytes as a corrupt archive (found by the zip fuzzer: was a RangeError stack trace)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgpu-style-zip-'));
    try {
      const archive = zipFile([{ name: 'vgg19-ad2f660d.params', data: fixture('gluon-vgg19-block1.params'), deflate: true }]);
      const view = new DataView(archive.buffer);
      view.setUint32(18, 0, true); // the local header's compressed size
      view.setUint32(view.getUint32(archive.byteLength - 22 + 16, true) + 20, 0, true); // the directory's
      const zip = join(dir, 'zoo.zip');
      writeFileSync(zip, archive);
      const err = await extractOne(zip, '.params', join(dir, 'out.params'), MAX_EXTRACTED_BYTES).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConvertError);
      expect((err as Error).message).toMatch(/zoo\.zip: cannot extract "vgg19-ad2f660d\.params" \(.*\); the archive is corrupt/);
      expect(readdirSync(dir)).toEqual(['zoo.zip']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
