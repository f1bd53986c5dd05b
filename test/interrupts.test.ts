// A run that loses its reader, is killed or is interrupted early keeps what the user owns: the
// result is still written when stdout closes, no temporary file outlives a run, and a Ctrl-C
// before the first step leaves an existing output untouched.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage, syntheticWeights, writeImage } from '../src/index.js';
import { PreparedWrite, tempPathFor } from '../src/node/safe-write.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { cli } from './helpers/cli.js';
import { picture } from './helpers/pictures.js';
import { REPO_ROOT } from './helpers/shared.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-interrupts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const path = (name: string) => join(work, name);
const env = { ...process.env, WGPU_STYLE_CACHE: path('cache') };
const TINY = ['content.png', 'style.png', '--weights', 'syn.bin', '--size', '32', '--scales', '1', '--no-autotune'];

beforeAll(async () => {
  await writeWeightsFile(path('syn.bin'), syntheticWeights(5));
  writeImage(path('content.png'), picture(40, 30, 'content'));
  writeImage(path('style.png'), picture(32, 32, 'style'));
});

describe('a closed standard output', () => {
  it('--json | head -n 1: the run goes on, writes the image and exits 0 without a stack trace', async () => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'wgpu-style.js'), ...TINY, '--steps', '6', '--print-every', '1', '--json', '-o', 'piped.png'],
      { cwd: work, env },
    );
    let first = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      first += d;
      if (first.includes('\n')) child.stdout.destroy(); // the reader goes away after one line
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    // The run's first --json line is its first phase (src/cli/progress.ts phasePrinter), before any progress line.
    expect(JSON.parse(first.split('\n')[0]!)).toMatchObject({ type: 'phase', phase: 'loading' });
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(code, stderr).toBe(0);
    expect(readImage(path('piped.png')).width).toBe(32);
  });

  it('a closed stderr (the progress lines) costs nothing either', async () => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'wgpu-style.js'), ...TINY, '--steps', '6', '--print-every', '1', '-o', 'quiet.png'],
      { cwd: work, env },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (/step 1\/6/.test(stderr)) child.stderr.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code, stderr).toBe(0);
    expect(readImage(path('quiet.png')).width).toBe(32);
  });
});

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('temporary files', () => {
  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`${signal} mid-run leaves no temporary file beside the output`, async () => {
      const dir = path(`killed-${signal}`);
      mkdirSync(dir);
      let sent = false;
      const r = await cli([...TINY, '--steps', '5000', '--print-every', '1', '-o', join(dir, 'o.png')], {
        cwd: work,
        env,
        onStderr: (text, child) => {
          if (!sent && /step 2\//.test(text)) {
            sent = true;
            child.kill(signal);
          }
        },
      });
      expect(sent, r.stderr).toBe(true);
      expect(r.signal === signal || r.code === 143, `${r.code} ${r.signal}`).toBe(true);
      expect(readdirSync(dir)).toEqual([]);
    });
  }

  it('a later write removes the temporary files that killed runs left for that file, and nothing else', async () => {
    const dir = path('stale');
    mkdirSync(dir);
    const out = join(dir, 'o.png');
    const dead = await deadPid();
    const hoursAgo = (file: string) => utimesSync(file, new Date(Date.now() - 2 * 3600e3), new Date(Date.now() - 2 * 3600e3));
    const stale = [tempPathFor(out, dead, 'deadbeef'), tempPathFor(out, process.ppid, '0123abcd')];
    const kept = [
      tempPathFor(out, process.ppid, 'aaaabbbb'), // a live process's, written just now
      tempPathFor(join(dir, 'other.png'), dead, 'deadbeef'), // another output's
      join(dir, '.o.png.notes.tmp'),
      join(dir, `o.png.${dead}-deadbeef.tmp`),
      join(dir, `.o.png.${dead}-DEADBEEF.tmp`),
    ];
    for (const file of [...stale, ...kept]) writeFileSync(file, '');
    hoursAgo(stale[1]!);
    for (const file of kept) hoursAgo(file);
    utimesSync(kept[0]!, new Date(), new Date());
    const write = PreparedWrite.prepare(out, { what: '--output' });
    expect(readdirSync(dir).sort()).toEqual(kept.map((f) => f.slice(dir.length + 1)).sort());
    write.commit(Uint8Array.from([1, 2, 3]));
    expect(readdirSync(dir).sort()).toEqual([...kept.map((f) => f.slice(dir.length + 1)), 'o.png'].sort());
  });
});

describe('Ctrl-C before the first step', () => {
  it('during the first-time kernel tuning: stops within seconds, leaves the existing output as it was and says so, having promised no image', async () => {
    writeFileSync(path('keep.png'), 'the earlier result');
    let sentAt = 0;
    const args = TINY.filter((a) => a !== '--no-autotune');
    const r = await cli([...args, '--steps', '5', '-o', 'keep.png'], {
      cwd: work,
      env: { ...env, WGPU_STYLE_CACHE: path('fresh-cache') }, // nothing tuned yet
      onStderr: (text, child) => {
        if (!sentAt && /tuning 0\/\d+ shapes \(the conv variants for 32×24 on this adapter/.test(text)) {
          sentAt = performance.now();
          child.kill('SIGINT');
        }
      },
    });
    const seconds = (performance.now() - sentAt) / 1000;
    expect(sentAt, r.stderr).toBeGreaterThan(0);
    expect(r.code, r.stderr).toBe(130);
    // The first line promises nothing the last one then takes back.
    expect(r.stderr).toMatch(/^stopping \(Ctrl-C again to quit at once\)$/m);
    expect(r.stderr).not.toMatch(/writing|wrote/);
    expect(r.stderr).toMatch(/stopped before the first step: no image was written; keep\.png is as it was/);
    expect(readFileSync(path('keep.png'), 'utf8')).toBe('the earlier result');
    expect(seconds).toBeLessThan(10); // tuning these shapes takes ~30 s on lavapipe
  });
});
