// A checkpoint is data, not a program, and is written only over what is ours: `--resume` alone takes
// the images and settings a checkpoint records (checked against its identity) but never where to
// write; an edited optimiser state is refused in one line naming the file; --checkpoint never
// replaces a file that is not a checkpoint, nor shares a name with a snapshot.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticWeights, writeImage } from '../src/index.js';
import { decodeCheckpoint } from '../src/io/checkpoint.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { editCheckpoint } from './helpers/checkpoints.js';
import { cli } from './helpers/cli.js';
import { picture } from './helpers/pictures.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-checkpoint-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const path = (name: string) => join(work, name);
const run = (args: string[]) => cli(args, { cwd: work, env: { WGPU_STYLE_CACHE: path('cache') } });
const RUN = ['content.png', 'style.png', '--weights', 'syn.bin', '--size', '32', '--scales', '1', '--steps', '4', '--no-autotune'];
/** Notes a run may print on stderr before it stops: Dawn's when it makes a device, L-BFGS's memory. */
const NOTES = [/^Warning: /, /^L-BFGS: a history of \d+ pairs takes /];
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
    expect((await decodeCheckpoint(readFileSync(path('evil.png.ckpt')), 'evil.png.ckpt')).state.step).toBe(3);
    // Named on the command line, the same file is refused: it is not a checkpoint.
    await refused(['--resume', 'evil.png.ckpt', '--checkpoint', 'bashrc'], /--checkpoint bashrc: a checkpoint's name must end in \.ckpt/);
    expect(readFileSync(path('bashrc'), 'utf8')).toBe(VICTIM);
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
