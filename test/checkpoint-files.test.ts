// A checkpoint is data, not a program, and is written only over what is ours: `--resume` alone takes
// only what the run's identity covers (images, weights, result settings), never where or how to
// write, limits, progress or checkpointing; an edited optimiser state is refused in one line naming the file; --checkpoint never
// replaces a file that is not a checkpoint, nor shares a name with a snapshot.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticWeights, writeImage } from '../src/index.js';
import { decodeCheckpoint } from '../src/io/checkpoint-file.js';
import { CONV_VARIANTS, convTuningKey } from '../src/kernels/index.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { editCheckpoint } from './helpers/checkpoints.js';
import { cli, PROGRESS_LINE } from './helpers/cli.js';
import { picture } from './helpers/pictures.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-checkpoint-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const path = (name: string) => join(work, name);
const run = (args: string[]) => cli(args, { cwd: work, env: { WGPU_STYLE_CACHE: path('cache') } });
const RUN = ['content.png', 'style.png', '--weights', 'syn.bin', '--size', '32', '--scales', '1', '--steps', '4', '--no-autotune'];
/** Notes a run may print on stderr before it stops: its progress (phases, Dawn's warnings), L-BFGS's memory. */
const NOTES = [PROGRESS_LINE, /^L-BFGS: a history of \d+ pairs takes /];
const VICTIM = 'export PATH=$HOME/bin:$PATH\n';

/** Runs `args` and expects a one-line refusal matching `message`, after notes if any (exit 2, no stack trace). */
async function refused(args: string[], message: RegExp): Promise<void> {
  const r = await run(args);
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.at(-1), r.stderr).toMatch(/^wgpu-style: /);
  expect(lines.at(-1), r.stderr).toMatch(message);
  expect(
    lines.slice(0, -1).filter((l) => !NOTES.some((note) => note.test(l))),
    r.stderr,
  ).toEqual([]);
}

beforeAll(async () => {
  await writeWeightsFile(path('syn.bin'), syntheticWeights(5));
  writeImage(path('content.png'), picture(40, 30, 'content'));
  writeImage(path('style.png'), picture(32, 32, 'style'));
  writeImage(path('victim.png'), picture(30, 30, 'style'));
  writeFileSync(path('bashrc'), VICTIM);
  // Real runs: each leaves the checkpoint of step 2 (none is written at a run's last step).
  for (const [name, extra] of [
    ['adam', []],
    ['lbfgs', ['--optimizer', 'lbfgs', '--tv-weight', '1']],
  ] as const) {
    const r = await run([...RUN, ...extra, '--checkpoint-every', '2', '-o', `${name}.png`]);
    expect(r.code, r.stderr).toBe(0);
  }
});

const craft = (from: string, name: string, edit: Parameters<typeof editCheckpoint>[1]) =>
  writeFileSync(path(name), editCheckpoint(readFileSync(path(from)), edit));

describe('--resume reads the checkpoint as data', () => {
  it('refuses, in one line and at once, a checkpoint whose recorded command names no images (it looped forever)', async () => {
    craft('adam.png.ckpt', 'noimages.png.ckpt', (h) => {
      h.command = h.command.filter((a) => a !== path('content.png') && a !== path('style.png'));
    });
    const started = Date.now();
    await refused(['--resume', 'noimages.png.ckpt'], /noimages\.png\.ckpt: the checkpoint records no images; give them again/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('never writes where the recorded command says: a crafted --checkpoint ~/.bashrc and -o are left alone, the run ends on its own image', async () => {
    craft('adam.png.ckpt', 'evil.png.ckpt', (h) => {
      h.command.push('--checkpoint', path('bashrc'), '--checkpoint-every', '1', '-o', path('victim.png'));
    });
    const victimImage = readFileSync(path('victim.png'));
    const r = await run(['--resume', 'evil.png.ckpt']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path('bashrc'), 'utf8')).toBe(VICTIM);
    expect(readFileSync(path('victim.png'))).toEqual(victimImage);
    // The image goes beside the checkpoint, and is the one the run never stopped made.
    expect(readFileSync(path('evil.png'))).toEqual(readFileSync(path('adam.png')));
    // --checkpoint-every is not taken either: the checkpoint resumed from stays at its step 2.
    expect((await decodeCheckpoint(readFileSync(path('evil.png.ckpt')), 'evil.png.ckpt')).state.step).toBe(2);
    // Named on the command line, the same file is refused: it is not a checkpoint.
    await refused(
      ['--resume', 'evil.png.ckpt', '--checkpoint', 'bashrc', '--checkpoint-every', '1'],
      /--checkpoint bashrc: a checkpoint's name must end in \.ckpt/,
    );
    expect(readFileSync(path('bashrc'), 'utf8')).toBe(VICTIM);
  });

  it('takes only what the identity covers: recorded limits, snapshots, --json, progress and checkpointing take no effect', async () => {
    craft('adam.png.ckpt', 'opts.png.ckpt', (h) => {
      h.command.push('--max-megapixels', '0.0001', '--save-every', '1', '--json', '--print-every', '1', '--checkpoint-every', '1');
    });
    // The user's own files where the recorded --save-every 1 would put its snapshots.
    const mine = ['opts-s1-0003.png', 'opts-s1-0004.png'];
    for (const name of mine) writeImage(path(name), picture(20, 20, 'style'));
    const before = mine.map((name) => readFileSync(path(name)));
    const ckpt = readFileSync(path('opts.png.ckpt'));
    const r = await run(['--resume', 'opts.png.ckpt']);
    expect(r.code, r.stderr).toBe(0); // --max-megapixels 0.0001 would refuse the 40×30 content image
    expect(r.stdout, 'no --json').not.toMatch(/^\{/m);
    expect(mine.map((name) => readFileSync(path(name)))).toEqual(before);
    expect(readFileSync(path('opts.png.ckpt'))).toEqual(ckpt);
    expect(readFileSync(path('opts.png'))).toEqual(readFileSync(path('adam.png')));
  });

  it('refuses a checkpoint not named <image>.ckpt when resumed alone without -o, and a recorded command it cannot parse', async () => {
    writeFileSync(path('run.ckpt'), readFileSync(path('adam.png.ckpt')));
    await refused(
      ['--resume', 'run.ckpt'],
      /run\.ckpt: a run resumed from it alone writes its image under the checkpoint's name less \.ckpt .*: add -o <file>/,
    );
    craft('adam.png.ckpt', 'unknown.png.ckpt', (h) => h.command.push('--exec', 'rm -rf ~'));
    await refused(
      ['--resume', 'unknown.png.ckpt'],
      /unknown\.png\.ckpt: the command the checkpoint records is not one this wgpu-style takes/,
    );
  });
});

describe('an edited optimiser state is refused in one line naming the checkpoint', () => {
  it('Adam: vectors renamed (a TypeError in Adam.begin), numbers added', async () => {
    craft('adam.png.ckpt', 'renamed.png.ckpt', (h) => (h.optimizer.vectors = ['a', 'b']));
    await refused(
      ['--resume', 'renamed.png.ckpt'],
      /renamed\.png\.ckpt: its Adam vectors should be "m", "v"; it has "a", "b"; start the run again without --resume/,
    );
    craft('adam.png.ckpt', 'numbers.png.ckpt', (h) => (h.optimizer.numbers = { t: 3 }));
    await refused(['--resume', 'numbers.png.ckpt'], /numbers\.png\.ckpt: Adam keeps no numbers; it has "t"/);
  });

  it('L-BFGS: vectors renamed, the iteration past the step', async () => {
    const saved = await decodeCheckpoint(readFileSync(path('lbfgs.png.ckpt')), 'lbfgs.png.ckpt');
    expect(Object.keys(saved.state.optimizer.vectors).sort()).toEqual(['direction', 'grad', 's0', 'y0']);
    craft('lbfgs.png.ckpt', 'l-renamed.png.ckpt', (h) => (h.optimizer.vectors = ['a', 'b', 'c', 'd']));
    await refused(
      ['--resume', 'l-renamed.png.ckpt'],
      /l-renamed\.png\.ckpt: its L-BFGS vectors should be "s0", "y0", "grad", "direction"; it has "a", "b", "c", "d"/,
    );
    craft('lbfgs.png.ckpt', 'l-iteration.png.ckpt', (h) => (h.optimizer.numbers.iteration = 7));
    await refused(
      ['--resume', 'l-iteration.png.ckpt'],
      /l-iteration\.png\.ckpt: its L-BFGS iteration should be a whole number from 0 to the step \(2\)/,
    );
  });
});

describe("a checkpoint's tuning choices are checked, and used for the resumed run only", () => {
  it('refuses a choice of a variant this version does not have, naming the checkpoint', async () => {
    const key = convTuningKey([1, 3, 24, 32], 64);
    craft('adam.png.ckpt', 'variant.png.ckpt', (h) => (h.tuning = { [key]: 'rm -rf ~' }));
    await refused(
      ['--resume', 'variant.png.ckpt'],
      /variant\.png\.ckpt: not a usable wgpu-style checkpoint \(its tuning choice "conv3x3\.v\d+\|1x3x24x32>64" names the conv variant "rm -rf ~", which this wgpu-style does not have\)/,
    );
    craft(
      'adam.png.ckpt',
      'many.png.ckpt',
      (h) => (h.tuning = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 'v']))),
    );
    await refused(['--resume', 'many.png.ckpt'], /many\.png\.ckpt: .*it carries 20000 tuning choices, more than the 10000 any run makes/);
  });

  it("never end up in the user's tuning file: bogus keys and huge strings are dropped, real-looking ones are not kept", async () => {
    const variant = CONV_VARIANTS.at(-1)!.name;
    const planted = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [convTuningKey([1, 3, 1000 + i, 7], 64), variant]));
    const junk = { '../../etc/passwd': 'x'.repeat(100_000), 'conv3x3.v1|1x3x24x32>64': 'old', [`${'y'.repeat(50_000)}`]: variant };
    craft('adam.png.ckpt', 'tuned.png.ckpt', (h) => (h.tuning = { ...planted, ...junk }));
    const saved = await decodeCheckpoint(readFileSync(path('tuned.png.ckpt')), 'tuned.png.ckpt');
    expect(saved.state.tuning).toEqual(planted);
    // Autotuning on (the checkpoint's run had it off): the resumed run tunes its shapes and saves them.
    const args = RUN.filter((a) => a !== '--no-autotune');
    const r = await cli([...args, '--resume', 'tuned.png.ckpt', '-o', 'tuned.png'], {
      cwd: work,
      env: { WGPU_STYLE_CACHE: path('tune-cache') },
    });
    expect(r.code, r.stderr).toBe(0);
    const file = path('tune-cache/autotune.json');
    expect(existsSync(file), r.stderr).toBe(true);
    const sections = Object.values(JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>);
    const kept = sections.flatMap((section) => Object.keys(section));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.filter((key) => key in planted || key in junk)).toEqual([]);
    expect(readFileSync(file).length).toBeLessThan(10_000);
  });
});

describe('--checkpoint is written only over what is ours', () => {
  it('refuses a name not ending in .ckpt, a file that is not a checkpoint, a snapshot name, and --checkpoint without --checkpoint-every', async () => {
    writeFileSync(path('notes.txt'), 'my notes');
    writeFileSync(path('model.ckpt'), 'a PyTorch Lightning checkpoint');
    const out = ['-o', 'out.png'];
    await refused(
      [...RUN, ...out, '--checkpoint-every', '2', '--checkpoint', 'notes.txt'],
      /--checkpoint notes\.txt: a checkpoint's name must end in \.ckpt \(such as out\.png\.ckpt\)/,
    );
    await refused(
      [...RUN, ...out, '--checkpoint-every', '2', '--checkpoint', 'model.ckpt'],
      /--checkpoint model\.ckpt exists and is not a wgpu-style checkpoint; refusing to replace it/,
    );
    await refused(
      [...RUN, ...out, '--checkpoint-every', '2', '--save-every', '2', '--checkpoint', 'out-s1-0002.png'],
      /--checkpoint out-s1-0002\.png: a checkpoint's name must end in \.ckpt/,
    );
    await refused(
      [...RUN, ...out, '--checkpoint', 'run.ckpt'],
      /--checkpoint run\.ckpt says where checkpoints go, but none are made: add --checkpoint-every/,
    );
    expect(readFileSync(path('notes.txt'), 'utf8')).toBe('my notes');
    expect(readFileSync(path('model.ckpt'), 'utf8')).toBe('a PyTorch Lightning checkpoint');
  });
});
