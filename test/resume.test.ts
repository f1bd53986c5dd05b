// Checkpoints: a run stopped by Ctrl-C or killed outright goes on with --resume and ends on the
// same image, byte for byte, as a run never stopped (with Adam and with L-BFGS, whose history, last
// gradient and numbers the checkpoint keeps); a checkpoint of another run is refused.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticWeights, writeImage } from '../src/index.js';
import { decodeCheckpoint } from '../src/io/checkpoint-file.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { cli } from './helpers/cli.js';
import { picture } from './helpers/pictures.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-resume-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const path = (name: string) => join(work, name);
const run = (args: string[], onStderr?: Parameters<typeof cli>[1]['onStderr']) =>
  cli(args, { cwd: work, env: { WGPU_STYLE_CACHE: path('cache') }, onStderr });
// Two scales, so that a resume also crosses a scale boundary; --print-every 1 lets the test time its signals.
const RUN = [
  'content.png',
  'style.png',
  '--weights',
  'syn.bin',
  '--size',
  '64',
  '--scales',
  '2',
  '--steps',
  '40',
  '--lr',
  '0.05',
  '--print-every',
  '1',
  '--checkpoint-every',
  '3',
];

beforeAll(async () => {
  await writeWeightsFile(path('syn.bin'), syntheticWeights(5));
  writeImage(path('content.png'), picture(40, 30, 'content'));
  writeImage(path('style.png'), picture(32, 32, 'style'));
  writeImage(path('other-style.png'), picture(30, 30, 'content'));
  const whole = await run([...RUN, '-o', 'whole.png']);
  expect(whole.stderr).not.toMatch(/^wgpu-style:/m);
  expect(whole.code).toBe(0);
});

describe('checkpoints and --resume', () => {
  it('Ctrl-C writes a checkpoint; --resume alone finishes the run on the same image as a run never stopped', async () => {
    let sent = false;
    const stopped = await run([...RUN, '-o', 'ctrlc.png'], (text, child) => {
      if (!sent && /scale 1\/2 \S+ step 7\//.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/^stopping \(Ctrl-C again to quit at once\)$/m);
    expect(stopped.stderr).toMatch(/^checkpoint: \S*ctrlc\.png\.ckpt \(scale 1, step \d+\)$/m);
    expect(stopped.stderr).toMatch(/^wrote \S*ctrlc\.png /m);
    const saved = await decodeCheckpoint(readFileSync(path('ctrlc.png.ckpt')), 'ctrlc.png.ckpt');
    expect(saved.state.scale).toBe(1);
    expect(saved.state.step).toBeGreaterThanOrEqual(7);
    expect(readFileSync(path('ctrlc.png'))).not.toEqual(readFileSync(path('whole.png')));
    const resumed = await run(['--resume', 'ctrlc.png.ckpt']);
    expect(resumed.stderr).not.toMatch(/^wgpu-style:/m);
    expect(resumed.code).toBe(0);
    expect(readFileSync(path('ctrlc.png'))).toEqual(readFileSync(path('whole.png')));
  });

  it('a run killed outright (SIGKILL) resumes from its last checkpoint, in the second scale, with its command given again', async () => {
    let killed = false;
    const crashed = await run([...RUN, '-o', 'killed.png'], (text, child) => {
      if (!killed && /checkpoint: .*\(scale 2, step 6\)/.test(text)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    expect(crashed.signal).toBe('SIGKILL');
    expect(existsSync(path('killed.png'))).toBe(false);
    const resumed = await run([...RUN, '-o', 'killed.png', '--resume', 'killed.png.ckpt']);
    expect(resumed.stderr).not.toMatch(/^wgpu-style:/m);
    expect(resumed.code).toBe(0);
    expect(readFileSync(path('killed.png'))).toEqual(readFileSync(path('whole.png')));
  });

  it('refuses a checkpoint of another run (settings, images) or a damaged one, saying what differs', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        [...RUN, '--lr', '0.5', '-o', 'whole2.png', '--resume', 'killed.png.ckpt'],
        /killed\.png\.ckpt belongs to another run: setting lr was 0\.05, now 0\.5/,
      ],
      [
        [...RUN.map((a) => (a === 'style.png' ? 'other-style.png' : a)), '-o', 'whole2.png', '--resume', 'killed.png.ckpt'],
        /belongs to another run: the style 1 image differs/,
      ],
      [[...RUN, '-o', 'whole2.png', '--resume', 'damaged.ckpt'], /damaged\.ckpt: not a usable wgpu-style checkpoint \(.*truncated\)/],
      [['--resume', 'nothing.ckpt'], /nothing\.ckpt: cannot read the checkpoint \(ENOENT\)/],
    ];
    writeFileSync(path('damaged.ckpt'), readFileSync(path('killed.png.ckpt')).subarray(0, 2000));
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(path('whole2.png'))).toBe(false);
  });

  for (const search of ['none', 'strong-wolfe']) {
    it(`L-BFGS (${search}): a run stopped by Ctrl-C, or killed in the second scale, resumes to the same image as one never stopped`, async () => {
      const lbfgs = [
        ...RUN.map((a, i) => (RUN[i - 1] === '--steps' ? '14' : a)),
        '--optimizer',
        'lbfgs',
        '--line-search',
        search,
        '--tv-weight',
        '1',
      ];
      const name = (what: string) => `lbfgs-${search}-${what}.png`;
      const whole = await run([...lbfgs, '-o', name('whole')]);
      expect(whole.code, whole.stderr).toBe(0);
      let sent = false;
      const stopped = await run([...lbfgs, '-o', name('ctrlc')], (text, child) => {
        if (!sent && /scale 1\/2 \S+ step 7\//.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      expect(stopped.code).toBe(130);
      const saved = await decodeCheckpoint(readFileSync(path(`${name('ctrlc')}.ckpt`)), 'ckpt');
      expect(saved.state.optimizer.kind).toBe('lbfgs');
      expect(Object.keys(saved.state.optimizer.vectors)).toEqual(expect.arrayContaining(['s0', 'y0', 'grad']));
      const resumed = await run(['--resume', `${name('ctrlc')}.ckpt`]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(readFileSync(path(name('ctrlc')))).toEqual(readFileSync(path(name('whole'))));
      let killed = false;
      const crashed = await run([...lbfgs, '-o', name('killed')], (text, child) => {
        if (!killed && /checkpoint: .*\(scale 2, step \d+\)/.test(text)) {
          killed = true;
          child.kill('SIGKILL');
        }
      });
      expect(crashed.signal).toBe('SIGKILL');
      const again = await run([...lbfgs, '-o', name('killed'), '--resume', `${name('killed')}.ckpt`]);
      expect(again.code, again.stderr).toBe(0);
      expect(readFileSync(path(name('killed')))).toEqual(readFileSync(path(name('whole'))));
    });
  }
});
