// The weights subcommands from the command line: help, refusals in one line, safe outputs.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeWeights } from '../src/io/weights/format.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { readWeightsFile } from '../src/node/weights-files.js';
import { cli, type CliResult } from './helpers/cli.js';
import { writeKerasH5 } from './helpers/keras-h5.js';
import { tfjsModel, writeTfjsModel } from './helpers/tfjs-model.js';
import { binParts, binWithHeader } from './helpers/weights-mutations.js';
import { REPO_ROOT } from './helpers/shared.js';
import { FIXTURES } from './helpers/weights-fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-weights-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('weights CLI', () => {
  const run = (args: string[], cwd = work) => cli(['weights', ...args], { cwd });
  /** A person's mistake: exit 2, one line on stderr, no stack trace. */
  const refused = (r: CliResult, message: RegExp) => {
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^ {4}at |HDF5-DIAG/m);
  };

  it('weights info refuses an 8-byte, a 100-byte and hand-made .bin files in one line naming the file', async () => {
    const good = await encodeWeights(syntheticWeights(1, 2));
    const { header, data } = binParts(good);
    const files: Array<[string, Uint8Array, RegExp]> = [
      ['eight.bin', good.slice(0, 8), /eight\.bin: truncated: 8 bytes/],
      ['hundred.bin', good.slice(0, 100), /hundred\.bin: truncated: the header says \d+ bytes but the file has 100/],
      ['null.bin', binWithHeader('null', data), /null\.bin: the JSON header is null, not an object/],
      ['input.bin', binWithHeader(JSON.stringify({ ...header, input: null }), data), /input\.bin: header field input is null/],
    ];
    for (const [name, bytes] of files) writeFileSync(join(work, name), bytes);
    const results = await Promise.all(files.map(([name]) => run(['info', name])));
    results.forEach((r, i) => refused(r, files[i]![2]));
  });

  it('every weights subcommand prints its part of the help for -h/--help (exit 0) and refuses unknown options in one line', async () => {
    const subs = ['convert', 'fetch', 'synthetic', 'info'];
    const helps = await Promise.all(subs.map((sub, i) => run([sub, i % 2 ? '-h' : '--help'])));
    helps.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: wgpu-style weights ${subs[i]}`));
      expect(r.stdout).toMatch(/-h, --help/);
      for (const other of subs.filter((o) => o !== subs[i])) expect(r.stdout).not.toContain(`weights ${other}`);
    });
    const unknown = await Promise.all(subs.map((sub) => run([sub, '--frobnicate', '1'])));
    unknown.forEach((r, i) =>
      refused(r, new RegExp(`^wgpu-style: weights ${subs[i]}: unknown option --frobnicate; see \`wgpu-style weights ${subs[i]} --help\``)),
    );
  });

  it("weights convert says a truncated .h5 is truncated (both sizes) in one line, without HDF5's diagnostic dump", async () => {
    await writeKerasH5(join(work, 'half.h5'), 4, 'new');
    const size = readFileSync(join(work, 'half.h5')).byteLength;
    truncateSync(join(work, 'half.h5'), size >> 1);
    const damaged = join(work, 'damaged.h5');
    await writeKerasH5(damaged, 4, 'new');
    const bytes = readFileSync(damaged);
    bytes[bytes.indexOf('OHDR', 300) + 20]! ^= 0xff;
    writeFileSync(damaged, bytes);
    const [half, bad] = await Promise.all([
      run(['convert', 'half.h5', '-o', 'half.bin']),
      run(['convert', 'damaged.h5', '-o', 'damaged.bin', '--up-to', '4']),
    ]);
    refused(half, new RegExp(`^wgpu-style: half\\.h5: truncated or corrupt: HDF5 records ${size} bytes but the file has ${size >> 1}\\.`));
    refused(bad, /^wgpu-style: damaged\.h5: cannot read .*; the file is corrupt/);
    expect(readdirSync(work).filter((f) => /half|damaged/.test(f) && !f.endsWith('.h5'))).toEqual([]); // no output, no temporary file
  });

  it('weights convert refuses to write over its input (by name, through a symlink or a symlinked folder) and an -o it cannot write, before converting', async () => {
    const dir = join(work, 'same');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    const input = join(dir, 'sub', 'copy.h5');
    await writeKerasH5(input, 4, 'new');
    const before = readFileSync(input);
    symlinkSync(input, join(dir, 'link.h5'));
    symlinkSync(join(dir, 'sub'), join(dir, 'folder-link'));
    writeFileSync(join(dir, 'a-file'), '');
    writeTfjsModel(join(dir, 'tfjs'), tfjsModel(4));
    const results = await Promise.all([
      run(['convert', 'sub/copy.h5', '-o', 'sub/copy.h5'], dir),
      run(['convert', 'sub/copy.h5', '-o', 'link.h5'], dir),
      run(['convert', 'link.h5', '-o', 'folder-link/copy.h5'], dir),
      run(['convert', 'tfjs/model.json', '-o', 'tfjs/group1-shard1of1', '--up-to', '4'], dir),
      run(['convert', 'sub/copy.h5', '-o', 'sub'], dir),
      run(['convert', 'sub/copy.h5', '-o', 'a-file/out.bin'], dir),
      run(['synthetic', '-o', 'sub'], dir),
    ]);
    refused(results[0]!, /-o sub\/copy\.h5 is the input sub\/copy\.h5; refusing to write over it/);
    refused(results[1]!, /-o link\.h5 is the input sub\/copy\.h5 \(the same file through a link\)/);
    refused(results[2]!, /-o folder-link\/copy\.h5 is the input link\.h5 \(the same file through a link\)/);
    refused(results[3]!, /-o tfjs\/group1-shard1of1 is the input .*group1-shard1of1/);
    refused(results[4]!, /-o sub is a folder/);
    refused(results[5]!, /-o a-file\/out\.bin: cannot/);
    refused(results[6]!, /-o sub is a folder/);
    expect(readFileSync(input)).toEqual(before);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['copy.h5']); // no temporary file left
    expect((await run(['convert', 'tfjs/model.json', '-o', 'tfjs.bin', '--up-to', '4'], dir)).code).toBe(0);
    expect((await readWeightsFile(join(dir, 'tfjs.bin'))).tensors.size).toBe(4);
  });

  it('weights convert reads .pth (zip and legacy) and .params by their first bytes; info shows the convention; VGG-16 is refused in one line', async () => {
    const fixtures = ['vgg19-block1.pth', 'vgg19-block1-legacy.pth', 'gluon-vgg19-block1.params', 'prefixed-vgg19-block1.params'];
    const converted = await Promise.all(
      fixtures.map((f, i) => run(['convert', join(FIXTURES, f), '-o', `fixture-${i}.bin`, '--up-to', 'conv1_2'])),
    );
    converted.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`wrote fixture-${i}\\.bin \\(2 convs, input RGB, ×1, .*\\(torchvision's convention\\)\\)`));
    });
    const [info, vgg16] = await Promise.all([
      run(['info', 'fixture-3.bin']),
      run(['convert', join(FIXTURES, 'vgg16-expanded.pth'), '-o', 'vgg16.bin', '--up-to', '4']),
    ]);
    expect(info.stdout).toMatch(/convs: conv1_1, conv1_2\n/);
    expect(info.stdout).toMatch(/\(torchvision's convention\)/);
    expect(info.stdout).toMatch(/format=mxnet-params/);
    refused(vgg16, /vgg16-expanded\.pth: this is VGG-16, not VGG-19; wgpu-style needs VGG-19/);
    expect(readdirSync(work).filter((f) => f.startsWith('vgg16'))).toEqual([]);
  });

  it('a named pipe as --weights, to weights convert or info, or as a TF.js shard is refused at once in one line (before: hung silently)', () => {
    const dir = join(work, 'fifo');
    mkdirSync(dir);
    const fifo = join(dir, 'weights.pth');
    execFileSync('mkfifo', [fifo]);
    const model = tfjsModel(4);
    writeTfjsModel(join(dir, 'tfjs'), model);
    const shard = join(dir, 'tfjs', [...model.shards.keys()][0]!);
    rmSync(shard);
    execFileSync('mkfifo', [shard]);
    const image = join(REPO_ROOT, 'test', 'fixtures', 'rgb8.png');
    const runs: Array<[string[], RegExp]> = [
      [['weights', 'info', fifo], /weights\.pth is a FIFO \(named pipe\), not a regular file; give a weights file/],
      [
        ['weights', 'convert', fifo, '-o', join(dir, 'out.bin')],
        /weights\.pth is a FIFO \(named pipe\), not a regular file; give a weights file/,
      ],
      [['weights', 'convert', join(dir, 'tfjs', 'model.json'), '-o', join(dir, 'out.bin'), '--up-to', '4'], /group1-shard1of1 is a FIFO/],
      [
        [image, image, '-o', join(dir, 'o.png'), '--size', '128', '--weights', fifo],
        /weights\.pth is a FIFO \(named pipe\), not a regular file/,
      ],
      [['weights', 'info', dir], /fifo is a folder, not a regular file; give a weights file/],
    ];
    for (const [args, message] of runs) {
      const started = performance.now();
      const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'wgpu-style.js'), ...args], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 20_000, // the old code waited here for a writer, forever (blocked in open(2): SIGTERM's handler never ran)
        killSignal: 'SIGKILL',
        env: { ...process.env, WGPU_STYLE_CACHE: join(dir, 'cache') },
      });
      const what = `${args.join(' ')}: ${r.stderr}`;
      expect(r.signal, what).toBe(null);
      expect(r.status, what).toBe(2);
      expect(r.stderr.trimEnd().split('\n').at(-1), what).toMatch(new RegExp(`^wgpu-style: .*${message.source}`)); // (Dawn may warn first)
      expect(r.stderr, what).not.toMatch(/^ {4}at /m);
      expect(performance.now() - started, what).toBeLessThan(15_000);
    }
    expect(readdirSync(dir).sort()).toEqual(['tfjs', 'weights.pth']); // no output, no temporary file, no cache
  }, 120_000);

  it("weights info checks the data against the header's sha256 and says so; a mismatch is refused after the header", async () => {
    const good = await encodeWeights(syntheticWeights(1, 2));
    writeFileSync(join(work, 'good.bin'), good);
    const bad = Uint8Array.from(good);
    bad[bad.length - 1]! ^= 1;
    writeFileSync(join(work, 'flipped.bin'), bad);
    const [ok, flipped] = await Promise.all([run(['info', 'good.bin']), run(['info', 'flipped.bin'])]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^data: \d+\.\d MiB, sha256 [0-9a-f]{64} \(verified: the data matches it\)$/m);
    refused(
      flipped,
      /^wgpu-style: flipped\.bin: checksum mismatch: the data's sha256 is [0-9a-f]{64}, the header says [0-9a-f]{64}\. The file is corrupt/,
    );
    expect(flipped.stdout).toMatch(/^convs: conv1_1, conv1_2$/m); // the header is still shown
    expect(flipped.stdout).not.toMatch(/^data:/m);
  });
});
