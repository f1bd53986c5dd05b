// Nothing the user owns is ever destroyed: outputs never replace inputs (by any name), write
// problems are found before the first step, and a finished result is never lost.

import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage, syntheticWeights, writeImage } from '../src/index.js';
import { PreparedWrite, tempPathFor } from '../src/node/safe-write.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { cli } from './helpers/cli.js';
import { picture } from './helpers/pictures.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-outputs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const path = (name: string) => join(work, name);
const run = (args: string[], onStderr?: Parameters<typeof cli>[1]['onStderr']) =>
  cli(args, { cwd: work, env: { WGPU_STYLE_CACHE: path('cache') }, onStderr });
const TINY = ['--weights', 'syn.bin', '--size', '32', '--scales', '1', '--no-autotune'];

beforeAll(async () => {
  await writeWeightsFile(path('syn.bin'), syntheticWeights(5));
  writeImage(path('content.png'), picture(40, 30, 'content'));
  writeImage(path('style.png'), picture(32, 32, 'style'));
  mkdirSync(path('sub'));
  writeImage(path('sub/photo.png'), picture(40, 30, 'content'));
  symlinkSync('sub', path('linkdir'));
  symlinkSync('content.png', path('alias.png'));
  linkSync(path('content.png'), path('hardlink.png'));
  writeImage(path('out-s1-0002.png'), picture(40, 30, 'content'));
});

const unchanged = (name: string) => expect(readImage(path(name)).width, name).toBe(40);

describe('outputs never replace inputs', () => {
  it('refuses, before any work, an output or snapshot that is an input by any name', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['linkdir/photo.png', 'style.png', '-o', 'sub/photo.png'],
        /--output sub\/photo\.png is the input linkdir\/photo\.png \(the same file through a link\)/,
      ],
      [['sub/photo.png', 'style.png', '-o', 'linkdir/photo.png'], /is the input sub\/photo\.png \(the same file through a link\)/],
      [['alias.png', 'style.png', '-o', 'content.png'], /--output content\.png is the input alias\.png/],
      [['hardlink.png', 'style.png', '-o', 'content.png'], /--output content\.png is the input hardlink\.png/],
      [
        ['style.png', 'style.png', '--init', 'out-s1-0002.png', '--save-every', '2', '--steps', '4', '-o', 'out.png'],
        /the snapshot .*out-s1-0002\.png is the input out-s1-0002\.png; refusing to write over it: choose another --output \(snapshots are named after it\) or --save-every$/m,
      ],
      [
        ['content.png', 'style.png', '--weights', 'syn.bin', '-o', 'x.png', '--checkpoint-every', '2', '--checkpoint', 'syn.bin'],
        /--checkpoint syn\.bin is the input syn\.bin/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await run([...TINY, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    for (const name of ['content.png', 'sub/photo.png', 'out-s1-0002.png']) unchanged(name);
    expect(readdirSync(work).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('write problems are found before the first step', () => {
  it('refuses a folder as --output, a place that cannot take files, and a snapshot name over the limit', async () => {
    writeFileSync(path('a-file'), 'x');
    const cases: Array<[string[], RegExp]> = [
      [['-o', 'sub'], /the output must end in .png/],
      [['-o', 'dir.png'], /--output dir\.png is a folder; give a file name/],
      [['-o', 'a-file/out.png'], /--output a-file\/out\.png: cannot write into .*a-file \(no such folder\)/],
      [
        ['-o', `${'n'.repeat(247)}.png`, '--save-every', '1', '--steps', '1'],
        /snapshot name .* longer than 255 bytes; choose a shorter --output/,
      ],
    ];
    mkdirSync(path('dir.png'));
    for (const [args, message] of cases) {
      const started = Date.now();
      const r = await run(['content.png', 'style.png', ...TINY, '--steps', '500', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/step 1\//);
      expect(Date.now() - started).toBeLessThan(20_000);
    }
  });

  it('names what the user set: the output before its checkpoint, and a checkpoint named after --output as such', async () => {
    writeFileSync(path('notes.png.ckpt'), 'my notes');
    const cases: Array<[string[], RegExp]> = [
      [
        ['-o', 'a-file/out.png', '--checkpoint-every', '5'],
        /^wgpu-style: --output a-file\/out\.png: cannot write into .*a-file \(no such folder\); choose another --output$/m,
      ],
      [
        ['-o', 'notes.png', '--checkpoint-every', '5'],
        /^wgpu-style: the checkpoint notes\.png\.ckpt exists and is not a wgpu-style checkpoint; refusing to replace it: name another with --checkpoint \(the default is --output plus \.ckpt\) or remove that file$/m,
      ],
      [['-o', 'dir.png', '--checkpoint-every', '5'], /^wgpu-style: --output dir\.png is a folder/m],
    ];
    for (const [args, message] of cases) {
      const r = await run(['content.png', 'style.png', ...TINY, '--steps', '500', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      // A checkpoint path is never blamed as if --checkpoint had been given.
      expect(r.stderr, args.join(' ')).not.toMatch(/--checkpoint [\w/.-]+\.ckpt/);
    }
    expect(readFileSync(path('notes.png.ckpt'), 'utf8')).toBe('my notes');
  });

  it('writes a result with a legal 251-byte name (its temporary name stays within 255 bytes)', async () => {
    const name = `${'l'.repeat(247)}.png`;
    const r = await run(['content.png', 'style.png', ...TINY, '--steps', '1', '-o', name]);
    expect(r.stderr).not.toMatch(/^wgpu-style:/m);
    expect(r.code).toBe(0);
    expect(readImage(path(name)).width).toBe(32);
    expect(Buffer.byteLength(basename(tempPathFor(path('x'.repeat(255)))))).toBeLessThanOrEqual(255);
  });

  it('keeps a finished result when its folder disappears during the run: written elsewhere, named, exit 4; checkpoints and snapshots do not make the folder again', async () => {
    mkdirSync(path('vanishing'));
    let removed = false;
    const args = ['--steps', '40', '--print-every', '1', '--checkpoint-every', '5', '--save-every', '5', '-o', 'vanishing/out.png'];
    const r = await run(['content.png', 'style.png', ...TINY, ...args], (text) => {
      // After the first checkpoint (step 5), so the warnings at step 10 find it gone with its folder.
      if (!removed && /checkpoint: \S+ \(scale 1, step 5\)/.test(text)) {
        removed = true;
        rmSync(path('vanishing'), { recursive: true, force: true });
      }
    });
    expect(removed).toBe(true);
    expect(r.code, r.stderr).toBe(4);
    expect(existsSync(path('vanishing')), 'the removed folder was made again').toBe(false);
    // Every warning in one form; none says the removed checkpoint keeps anything.
    expect(r.stderr).toMatch(
      /^warning: checkpoint not written: cannot write \S+vanishing\/out\.png\.ckpt \(ENOENT\); the one written before is gone too; the run goes on$/m,
    );
    expect(r.stderr).not.toMatch(/keeps the one before/);
    expect(r.stderr).toMatch(/^warning: snapshot not written: cannot write \S+vanishing\/out-s1-0010\.png \(ENOENT\)$/m);
    const where = /the result was written to (\S+) instead/.exec(r.stderr)?.[1];
    expect(where, r.stderr).toBeDefined();
    expect(readImage(where!).width).toBe(32);
    rmSync(where!);
  });

  it('PreparedWrite: a failed commit falls back to the temporary folder and says why', () => {
    const folder = path('gone');
    mkdirSync(folder);
    const out = PreparedWrite.prepare(join(folder, 'r.bin'), { what: '-o' });
    rmSync(folder, { recursive: true });
    const written = out.commitOrFallback(Uint8Array.from([1, 2, 3]));
    expect(written.failure).toMatch(/cannot write .*r\.bin \(ENOENT\)/);
    expect(Array.from(readFileSync(written.path))).toEqual([1, 2, 3]);
    rmSync(written.path);
    expect(existsSync(join(folder, 'r.bin'))).toBe(false);
  });
});

describe('Ctrl-C and long runs', () => {
  it('one Ctrl-C stops within a step (not at the next report), writes the current image and exits 130', async () => {
    let sent = false;
    const r = await run(
      ['content.png', 'style.png', ...TINY, '--steps', '5000', '--print-every', '2000', '-o', 'stopped.png'],
      (text, child) => {
        if (!sent && /step 1\/5000/.test(text)) {
          sent = true;
          setTimeout(() => child.kill('SIGINT'), 300);
        }
      },
    );
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    const step = Number(/stopped after step (\d+) of scale 1/.exec(r.stderr)?.[1]);
    expect(step, r.stderr).toBeGreaterThanOrEqual(1);
    expect(step).toBeLessThan(500); // the next report, where the signal used to be seen, is step 2000
    expect(readImage(path('stopped.png')).width).toBe(32);
  });
});
