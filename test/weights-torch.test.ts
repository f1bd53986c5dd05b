// PyTorch .pth files, written by torch.save itself (scripts/make-torch-fixtures.py): both
// containers, state dicts with and without the classifier, other architectures, and pickles that
// try to run something.

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memorySource, type ByteSource } from '../src/io/weights/bytes.js';
import { ConvertError } from '../src/io/weights/convert-error.js';
import { unpickle } from '../src/io/weights/pickle.js';
import { TORCHVISION_CONVENTION } from '../src/io/weights/state-dict.js';
import { stateTensors, unpickleState } from '../src/io/weights/torch-pickle.js';
import { convertTorch } from '../src/io/weights/torch.js';
import { entryDataOffset, readZipDirectory } from '../src/io/weights/zip.js';
import { TORCHVISION_INPUT, VGG19_CONVS, type VggWeights } from '../src/vgg/index.js';
import { bombPickle, bombPth } from './helpers/pickle-bombs.js';
import { REPO_ROOT } from './helpers/shared.js';
import { FIXTURES, fixture, manifest } from './helpers/weights-fixtures.js';

/** A source that records every range read. */
function recording(bytes: Uint8Array, name: string): ByteSource & { reads: Array<[number, number]> } {
  const inner = memorySource(bytes, name);
  const reads: Array<[number, number]> = [];
  return { ...inner, reads, read: (offset, length) => (reads.push([offset, length]), inner.read(offset, length)) };
}

const sha256 = (data: Float32Array) =>
  createHash('sha256')
    .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    .digest('hex');

/** Each converted tensor is the file's, bit for bit (the manifest has torch's sha256 of each). */
function expectBitForBit(weights: VggWeights, file: string, prefix: string) {
  const expected = manifest('torch')[file]!;
  for (const [k, conv] of VGG19_CONVS.entries()) {
    if (!weights.tensors.has(`${conv.name}.weight`)) break;
    const index = VGG19_CONVS[k]!.index;
    expect(sha256(weights.tensors.get(`${conv.name}.weight`)!.data), `${file} ${conv.name}.weight`).toBe(
      expected[`${prefix}${index}.weight`],
    );
    expect(sha256(weights.tensors.get(`${conv.name}.bias`)!.data), `${file} ${conv.name}.bias`).toBe(expected[`${prefix}${index}.bias`]);
  }
}

describe('PyTorch .pth (written by torch.save)', () => {
  for (const [file, format, prefix] of [
    ['vgg19-block1.pth', 'pytorch-zip', 'features.'],
    ['vgg19-block1-legacy.pth', 'pytorch-legacy', ''],
  ] as const) {
    it(`${file}: reads conv1_1 and conv1_2 bit for bit (-0, a subnormal, FLT_MAX kept), in torchvision's convention`, async () => {
      const weights = await convertTorch(memorySource(fixture(file), file), { upTo: 4 });
      expect([...weights.tensors.keys()]).toEqual(['conv1_1.weight', 'conv1_1.bias', 'conv1_2.weight', 'conv1_2.bias']);
      expectBitForBit(weights, file, prefix);
      const w = weights.tensors.get('conv1_1.weight')!.data;
      expect([Object.is(w[0], -0), w[1], w[2]]).toEqual([true, 2 ** -149, 3.4028234663852886e38]);
      expect(weights.input).toEqual(TORCHVISION_INPUT);
      expect(weights.provenance).toMatchObject({ format, inputConvention: TORCHVISION_CONVENTION });
    });
  }

  for (const [file, format] of [
    ['vgg19-expanded.pth', 'zip'],
    ['vgg19-expanded-legacy.pth', 'legacy'],
    ['vgg19-expanded-2017.pth', 'legacy'], // as torch 0.1.12–0.3 wrote it: _rebuild_tensor, storages on 'cuda:0'
  ] as const) {
    it(`a whole vgg19 state dict (${file}): all 16 convs, strided tensors gathered, the classifier's storages never read`, async () => {
      const bytes = fixture(file);
      const source = recording(bytes, file);
      const weights = await convertTorch(source);
      expect(weights.tensors.size).toBe(32);
      expectBitForBit(weights, file, 'features.');
      // Reads from byte 0 take the header and, in the legacy format, the pickles (their size is not known before).
      const spans = await (format === 'zip' ? zipStorageSpans : legacyStorageSpans)(bytes, file, (t) => t.startsWith('classifier.'));
      expect(spans).toHaveLength(6);
      for (const [start, end] of spans) {
        const touched = source.reads.filter(([offset, length]) => offset > 0 && offset < end && offset + length > start);
        expect(touched, `reads inside the classifier's bytes ${start}–${end}`).toEqual([]);
      }
    });
  }

  it('refuses VGG-16, VGG-19-BN and ResNet-18 by name, also when --up-to stops before they differ', async () => {
    const cases: Array<[string, RegExp]> = [
      ['vgg16-expanded.pth', /vgg16-expanded\.pth: this is VGG-16, not VGG-19; wgpu-style needs VGG-19/],
      ['vgg19bn-expanded.pth', /this is VGG-19-BN \(with batch norm: "features\.1\.running_mean"\), not VGG-19/],
      ['resnet18-head.pth', /this is a ResNet \(it has layers such as "layer1\.0\.conv1\.weight"\), not VGG-19/],
    ];
    for (const [file, message] of cases) {
      for (const upTo of [undefined, 2]) {
        const err = await convertTorch(memorySource(fixture(file), file), { upTo }).catch((e: unknown) => e);
        expect(err, file).toBeInstanceOf(ConvertError);
        expect((err as Error).message).toMatch(message);
        expect((err as Error).message).not.toContain('\n');
      }
    }
  });

  it('names the missing layer of a partial file and carries the last layer it has (weights convert words it as --up-to)', async () => {
    const attempt = convertTorch(memorySource(fixture('vgg19-block1.pth'), 'b1.pth'));
    await expect(attempt).rejects.toThrow(/^b1\.pth: holds 2 conv layers, the first of VGG-19's; conv2_1 is not among them$/);
    await expect(attempt).rejects.toMatchObject({ upTo: 4 });
  });

  it('reports damage in one line: a cut zip, a flipped storage byte (CRC-32), a cut legacy file, a file that is not PyTorch', async () => {
    const zip = fixture('vgg19-block1.pth');
    const flipped = Uint8Array.from(zip);
    const [start] = (await zipStorageSpans(zip, 'x.pth', (name) => name === 'features.2.weight'))[0]!;
    flipped[start + 1000]! ^= 1;
    const legacy = fixture('vgg19-block1-legacy.pth');
    const cases: Array<[Uint8Array, RegExp]> = [
      [zip.subarray(0, zip.byteLength >> 1), /x\.pth: no end-of-directory record; the zip archive is corrupt or truncated/],
      [flipped, /x\.pth: entry "vgg19-block1\/data\/\d+" has CRC-32 [0-9a-f]{8}, the directory says [0-9a-f]{8}; the file is corrupt/],
      [
        legacy.subarray(0, legacy.byteLength - 100),
        /x\.pth: truncated: its storages end at byte \d+ but the file has \d+\. Download or save it again/,
      ],
      [new TextEncoder().encode('just text, not weights'), /x\.pth: not a PyTorch file/],
    ];
    for (const [bytes, message] of cases) {
      const err = await convertTorch(memorySource(bytes, 'x.pth'), { upTo: 4 }).catch((e: unknown) => e);
      expect(err, String(message)).toBeInstanceOf(ConvertError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    }
  });
});

describe('the pickle reader runs nothing', () => {
  it('refuses a .pth whose pickle calls os.system (zip and legacy, as pickle wrote them), without running it', async () => {
    for (const file of ['runs-a-command.pth', 'runs-a-command-legacy.pth']) {
      await expect(convertTorch(memorySource(fixture(file), file))).rejects.toThrow(
        new RegExp(
          `${file.replace('.', '\\.')}: refusing to load: the pickle calls "posix\\.system", which a state dict never calls.*\\(nothing was run\\)`,
        ),
      );
    }
    expect(existsSync(join(FIXTURES, 'wgpu-style-pwned'))).toBe(false);
    expect(existsSync('wgpu-style-pwned')).toBe(false);
  });

  it('refuses hand-made pickles: builtins.eval by STACK_GLOBAL, os.system inside a state dict, a whole nn.Module, an unknown opcode', () => {
    const enc = (s: string) => [...new TextEncoder().encode(s)];
    const str = (s: string) => [0x8c, s.length, ...enc(s)]; // SHORT_BINUNICODE
    const cases: Array<[number[], RegExp]> = [
      // PROTO 4, 'builtins' 'eval' STACK_GLOBAL, ('1+1',) REDUCE, STOP
      [
        [0x80, 4, ...str('builtins'), ...str('eval'), 0x93, ...str('1+1'), 0x85, 0x52, 0x2e],
        /calls "builtins\.eval", which a state dict never calls/,
      ],
      // {'features.0.weight': os.system('id')}: GLOBAL 'os\nsystem\n'
      [
        [0x80, 2, 0x7d, ...str('features.0.weight'), 0x63, ...enc('os\nsystem\n'), ...str('id'), 0x85, 0x52, 0x73, 0x2e],
        /calls "os\.system"/,
      ],
      [
        [0x80, 2, 0x63, ...enc('torch.nn.modules.container\nSequential\n'), 0x29, 0x52, 0x2e],
        /belongs to a whole pickled model, not a state dict: .*save model\.state_dict\(\)/,
      ],
      [[0x80, 2, 0x69, ...enc('os\nsystem\n'), 0x2e], /uses opcode 0x69 at byte 2, which no state dict needs/], // INST
      [[0x80, 2, 0x7d], /the pickle ends at byte 3 before its STOP/],
      [[0x80, 2, 0x68, 9, 0x2e], /reads memo entry 9, which was never stored/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => unpickleState(Uint8Array.from(bytes), 0, 'evil.pth'), String(message)).toThrow(message);
    }
  });

  it('reads what a state dict uses: OrderedDict with _metadata, tensors, Python 2 strings, LONG1, floats, memo', () => {
    const { value } = unpickle(fixture('vgg19-block1-legacy.pth'), 0, plain);
    expect(value).toBe(0x1950a86a20f9469cfc6cn); // the legacy magic number, a LONG1
    const legacy = fixture('vgg19-expanded-legacy.pth');
    let at = 0; // after the magic number, the protocol version and the system info
    for (let i = 0; i < 3; i++) at = unpickle(legacy, at, plain).end;
    const tensors = stateTensors(unpickleState(legacy, at, 'x').value, 'x');
    expect(tensors.get('classifier.0.weight')).toMatchObject({ size: [4096, 25088], stride: [1, 0], offset: 0 });
    // Python 2's pickles (files saved before Python 3): str keys as SHORT_BINSTRING / BINSTRING
    const py2 = unpickle(
      Uint8Array.from([
        0x80, 2, 0x7d, 0x28, 0x55, 2, 0x61, 0x62, 0x4b, 5, 0x54, 1, 0, 0, 0, 0x63, 0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x75, 0x2e,
      ]),
      0,
      plain,
    );
    expect([...(py2.value as Map<unknown, unknown>)]).toEqual([
      ['ab', 5],
      ['c', 1.5],
    ]);
  });
});

describe('pickle "billion laughs": a list nested in itself 40 levels deep by memo references (2^40 lists to walk)', () => {
  const legacyBomb = () => {
    const legacy = fixture('vgg19-block1-legacy.pth');
    const magic = legacy.subarray(0, unpickle(legacy, 0, plain).end);
    return Uint8Array.from([...magic, ...bombPickle(40, 'persistent id').slice(0, -2), 0x2e]); // the list as the protocol version
  };
  const bombs: Array<[string, () => Uint8Array, RegExp]> = [
    ['as a persistent id', () => bombPth(40, 'persistent id'), /bomb\.pth: the pickle holds a persistent id that does not fit \(\[\[\[/],
    [
      'as a tensor size',
      () => bombPth(40, 'tensor size'),
      /bomb\.pth: the pickle holds a tensor with offset, size and stride that does not fit \(\[0,\[\[/,
    ],
    ['as the legacy protocol version', legacyBomb, /bomb\.pth: its protocol version is \[\[\[.{0,20}, expected 1001/],
  ];
  for (const [place, bytes, message] of bombs) {
    it(`${place}: refused in one short line within 2 s`, async () => {
      const started = performance.now();
      const err = await convertTorch(memorySource(bytes(), 'bomb.pth')).catch((e: unknown) => e);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(err).toBeInstanceOf(ConvertError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message.length).toBeLessThan(300);
    });
  }

  it('the same through `weights convert` and --weights (a child process each, stopped after 20 s, 400 MB)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgpu-style-bomb-'));
    try {
      for (const place of ['persistent id', 'tensor size'] as const) {
        const file = join(dir, `${place.replace(' ', '-')}.pth`);
        writeFileSync(file, bombPth(40, place));
        for (const args of [
          ['weights', 'convert', file, '-o', join(dir, 'out.bin')],
          [
            join(REPO_ROOT, 'test', 'fixtures', 'rgb8.png'),
            join(REPO_ROOT, 'test', 'fixtures', 'rgb8.png'),
            '-o',
            join(dir, 'o.png'),
            '--weights',
            file,
          ],
        ]) {
          const r = spawnSync(process.execPath, ['--max-old-space-size=400', join(REPO_ROOT, 'bin', 'wgpu-style.js'), ...args], {
            encoding: 'utf8',
            timeout: 20_000,
            env: { ...process.env, WGPU_STYLE_CACHE: join(dir, 'cache') },
          });
          expect(r.signal, `${args.join(' ')}: ${r.stderr}`).toBe(null);
          expect(r.status, r.stderr).toBe(2);
          expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(
            /^wgpu-style: .*the pickle holds .* that does not fit \(.{1,100}\); the file is corrupt$/,
          );
          expect(r.stderr).not.toMatch(/^ {4}at /m);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

type Pick = (tensor: string) => boolean;
const plain = { source: 'x', resolve: () => undefined, refusal: () => '' };

/** The byte ranges of the storages of the tensors `pick` chooses, in a zip .pth. */
async function zipStorageSpans(bytes: Uint8Array, name: string, pick: Pick): Promise<Array<[number, number]>> {
  const source = memorySource(bytes, name);
  const entries = await readZipDirectory(source);
  const pkl = [...entries.values()].find((e) => e.name.endsWith('/data.pkl'))!;
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  const start = await entryDataOffset(source, pkl);
  const tensors = stateTensors(unpickleState(bytes.subarray(start, start + pkl.size), 0, name).value, name);
  const spans: Array<[number, number]> = [];
  for (const [tensor, t] of tensors) {
    if (!pick(tensor)) continue;
    const entry = entries.get(`${prefix}data/${t.storage.key}`)!;
    const at = await entryDataOffset(source, entry);
    spans.push([at, at + entry.size]);
  }
  return spans;
}

/** The same in a legacy .pth: after the pickles, each storage in key order as an int64 count and float32 data. */
async function legacyStorageSpans(bytes: Uint8Array, name: string, pick: Pick): Promise<Array<[number, number]>> {
  let at = 0;
  for (let i = 0; i < 3; i++) at = unpickle(bytes, at, plain).end;
  const state = unpickleState(bytes, at, name);
  const keys = unpickle(bytes, state.end, plain);
  at = keys.end;
  const spanOf = new Map<string, [number, number]>();
  for (const key of keys.value as string[]) {
    const count = Number(new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigUint64(0, true));
    spanOf.set(key, [at + 8, at + 8 + count * 4]);
    at += 8 + count * 4;
  }
  const tensors = stateTensors(state.value, name);
  return [...tensors].filter(([tensor]) => pick(tensor)).map(([, t]) => spanOf.get(t.storage.key)!);
}
