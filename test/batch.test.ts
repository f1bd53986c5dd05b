// The one-machine batch (wgpu-style batch, src/batch/local.ts) through the CLI: outputs the same as
// separate runs, the manifest, skip on rerun, a changed input redone, a bad file skipped, Ctrl-C
// resumed from the image's checkpoint to the same result as an uninterrupted batch.

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImage } from '../src/index.js';
import { filesIn, makeBatchInputs, manifestLines, TINY } from './helpers/batch-images.js';
import { cli } from './helpers/cli.js';
import { picture } from './helpers/pictures.js';
import { REPO_ROOT } from './helpers/shared.js';
import { BatchRunner } from '../src/batch/runner.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-batch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const path = (name: string) => join(work, name);
const env = { WGPU_STYLE_CACHE: path('cache') };
let files: { weights: string; style: string; inputs: string };
const batchArgs = (out: string, ...more: string[]) => [
  'batch',
  files.inputs,
  '--style',
  files.style,
  '--weights',
  files.weights,
  ...TINY,
  '--steps',
  '2',
  '-o',
  out,
  ...more,
];

beforeAll(async () => {
  files = await makeBatchInputs(work, 3);
  // A file that is no image: reported and skipped, the batch goes on.
  writeFileSync(join(files.inputs, 'p001-bad.png'), 'not a png');
});

describe('wgpu-style batch on one machine', () => {
  it('does every image as a separate run would, skips a bad file, and writes the manifest and summary', async () => {
    const r = await cli(batchArgs('out'), { cwd: work, env });
    expect(r.code, r.stderr).toBe(5); // one image failed, the others done
    expect(filesIn(path('out'))).toEqual(['manifest.jsonl', 'p000.png', 'p001.png', 'p002.png']);
    expect(r.stderr).toMatch(/p001-bad\.png\s+failed .*cannot decode/);
    expect(r.stderr).toMatch(/3 done, 0 skipped, 1 failed/);
    const lines = manifestLines(path('out'));
    expect(lines.map((l) => [l.output.slice(work.length), l.status])).toEqual([
      ['/out/p000.png', 'done'],
      ['/out/p001-bad.png', 'failed'],
      ['/out/p001.png', 'done'],
      ['/out/p002.png', 'done'],
    ]);
    const single = await cli(
      [join(files.inputs, 'p002.png'), files.style, '--weights', files.weights, ...TINY, '--steps', '2', '-o', 'single.png'],
      { cwd: work, env },
    );
    expect(single.code, single.stderr).toBe(0);
    expect(readFileSync(path('single.png'))).toEqual(readFileSync(path('out/p002.png')));
  });

  it('skips what is done on a rerun and redoes an image whose input changed', async () => {
    const before = statSync(path('out/p000.png')).mtimeMs;
    writeImage(join(files.inputs, 'p001.png'), picture(30, 21, 'content'));
    const r = await cli(batchArgs('out'), { cwd: work, env });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/1 done, 2 skipped, 1 failed/);
    expect(r.stderr).toContain('p001.png -> ');
    expect(r.stderr).not.toContain('p000.png -> ');
    expect(statSync(path('out/p000.png')).mtimeMs).toBe(before);
    const changed = manifestLines(path('out')).filter((l) => l.output.endsWith('/p001.png'));
    expect(changed.map((l) => l.status)).toEqual(['done', 'done']);
    const settingsChanged = await cli(batchArgs('out', '--tv-weight', '20'), { cwd: work, env });
    expect(settingsChanged.stderr).toMatch(/3 done, 0 skipped, 1 failed/);
  });

  it('Ctrl-C keeps the image in progress as a checkpoint; the same command resumes it to the uninterrupted result', async () => {
    rmSync(join(files.inputs, 'p001-bad.png'));
    const args = (out: string) => [...batchArgs(out, '--checkpoint-every', '1', '--print-every', '1'), '--steps', '12'];
    const whole = await cli(args('whole'), { cwd: work, env });
    expect(whole.code, whole.stderr).toBe(0);
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'wgpu-style.js'), ...args('cut')], {
      cwd: work,
      env: { ...process.env, ...env },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      // Stop in the second image, after a few steps.
      if (/p001\.png -> [^]*step 4\/12/.test(stderr)) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(code, stderr).toBe(130);
    expect(filesIn(path('cut'))).toEqual(['manifest.jsonl', 'p000.png']);
    expect(readdirSync(path('cut/.checkpoints'))).toHaveLength(1);
    const again = await cli(args('cut'), { cwd: work, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/2 done, 1 skipped, 0 failed/);
    const resumed = manifestLines(path('cut')).filter((l) => l.output.endsWith('/p001.png') && l.status === 'done');
    expect(resumed[0]!.message).toMatch(/resumed from its checkpoint \(scale 1, step \d+\)/);
    expect(readdirSync(path('cut/.checkpoints'))).toHaveLength(0);
    for (const name of ['p000.png', 'p001.png', 'p002.png'])
      expect(readFileSync(path(`cut/${name}`))).toEqual(readFileSync(path(`whole/${name}`)));
  });

  it('keeps one style session for the batch and computes the style Grams once per working size', async () => {
    const runner = await BatchRunner.open({ weights: files.weights });
    try {
      const settings = { size: 16, scales: 2, steps: 1, autotune: false, contentLayers: [5], styleLayers: [0, 5] };
      writeImage(path('wide.png'), picture(32, 16, 'content'));
      for (const input of [join(files.inputs, 'p000.png'), join(files.inputs, 'p000.png'), path('wide.png')]) {
        const job = {
          input,
          output: path(`warm/${input.slice(input.lastIndexOf('/') + 1)}`),
          checkpoint: path('warm/c.ckpt'),
          styles: [files.style],
        };
        await runner.run({ ...job, settings, checkpointEvery: 0, quality: 92 });
      }
      expect(runner.sessionsMade).toBe(1);
      // p000 (20×18) works at 8×7 then 16×14, twice; wide (32×16) at 8×4 then 16×8: 4 sizes
      expect(runner.styleTargetComputations).toBe(4);
    } finally {
      runner.close();
    }
  });
});
