// --optimizer lbfgs end to end: the command line and the library with synthetic weights, the
// refusals, and what works with Adam working with L-BFGS too (pyramid, several styles, original
// colours, Ctrl-C, the NaN guard).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImage, stylize, syntheticWeights, writeImage } from '../src/index.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { cli, PROGRESS_LINE } from './helpers/cli.js';
import { picture } from './helpers/pictures.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-lbfgs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const path = (name: string) => join(work, name);
const run = (args: string[], onStderr?: Parameters<typeof cli>[1]['onStderr']) =>
  cli(args, { cwd: work, env: { WGPU_STYLE_CACHE: path('cache') }, onStderr });
// TV at 1, not 50: on these small synthetic pictures 50 makes TV, whose |·| has a kink wherever two
// neighbours are equal, nearly all of the loss, and L-BFGS assumes a smooth one.
const TINY = [
  'content.png',
  'style.png',
  '--weights',
  'syn.bin',
  '--size',
  '32',
  '--scales',
  '1',
  '--tv-weight',
  '1',
  '--optimizer',
  'lbfgs',
];
/** Dawn's own notes on stderr when it makes a device. */
/** Stderr less the run's progress (its phases, Dawn's warnings). */
const withoutDawn = (stderr: string) => stderr.split('\n').filter((l) => l.trim() && !/^Warning: /.test(l) && !PROGRESS_LINE.test(l));

interface Line {
  type: string;
  scale: number;
  step: number;
  iteration: number;
  evaluations: number;
  total: number;
  ended?: string;
}
const progress = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => l.type === 'progress');

beforeAll(async () => {
  await writeWeightsFile(path('syn.bin'), syntheticWeights(5));
  writeImage(path('content.png'), picture(40, 30, 'content'));
  writeImage(path('style.png'), picture(32, 32, 'style'));
  writeImage(path('style2.png'), picture(24, 36, 'style'));
});

describe('--optimizer lbfgs from the command line (synthetic weights)', () => {
  it('runs, with and without the line search: the loss falls, --json counts evaluations and iterations', async () => {
    for (const search of ['none', 'strong-wolfe']) {
      const r = await run([...TINY, '--line-search', search, '--steps', '24', '--print-every', '4', '--json', '-o', `${search}.png`]);
      expect(r.stderr, search).not.toMatch(/^wgpu-style:/m);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/L-BFGS: a history of 20 pairs takes 0\.\d MiB of GPU memory at 32×24/);
      const lines = progress(r.stdout);
      expect(lines.map((l) => l.step)).toEqual([1, 4, 8, 12, 16, 20, 24]);
      expect(lines.map((l) => l.evaluations)).toEqual([1, 4, 8, 12, 16, 20, 24]);
      if (search === 'strong-wolfe') expect(lines.at(-1)!.iteration).toBeLessThan(24);
      expect(lines.at(-1)!.total).toBeLessThan(0.5 * lines[0]!.total);
      expect(readImage(path(`${search}.png`)).width).toBe(32);
    }
  });

  it('works with the pyramid (the history starts again at each scale), two styles and the original colours', async () => {
    const r = await run([
      ...TINY.map((a, i) => (TINY[i - 1] === '--scales' ? '2' : TINY[i - 1] === '--size' ? '48' : a)),
      'style2.png',
      '--line-search',
      'strong-wolfe',
      '--original-colors',
      '--steps',
      '6',
      '--print-every',
      '1',
      '--json',
      '-o',
      'pyramid.png',
    ]);
    expect(r.stderr).not.toMatch(/^wgpu-style:/m);
    expect(r.code).toBe(0);
    const lines = progress(r.stdout);
    const second = lines.filter((l) => l.scale === 2);
    expect(second.map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6]);
    // Iterations count again from 1 at scale 2: its optimiser starts afresh, with no history.
    expect(lines.filter((l) => l.scale === 1).at(-1)!.iteration).toBeGreaterThan(1);
    expect(second[0]!.iteration).toBe(1);
    expect(second.at(-1)!.evaluations).toBe(12);
    expect([readImage(path('pyramid.png')).width, readImage(path('pyramid.png')).height]).toEqual([48, 36]);
  });

  it('--tolerance-grad and --tolerance-change end a scale early, saying which and why (they are off by default: every run above made all its evaluations)', async () => {
    for (const [flag, steps, why] of [
      ['--tolerance-grad', [1], /^--tolerance-grad 1000000000: the gradient's largest entry is [\d.e+-]+$/],
      // g·d > −x already ends the first iteration, as in torch.
      [
        '--tolerance-change',
        [1],
        /^--tolerance-change 1000000000: the loss's slope along the next direction is -?[\d.e+-]+, not below -1000000000$/,
      ],
    ] as const) {
      const r = await run([...TINY, flag, '1e9', '--steps', '24', '--print-every', '100', '--json', '-o', 'early.png']);
      expect(r.code, r.stderr).toBe(0);
      const lines = progress(r.stdout);
      expect(
        lines.map((l) => l.step),
        flag,
      ).toEqual(steps);
      expect(lines.at(-1)!.ended, flag).toMatch(why);
    }
    const text = await run([...TINY, '--tolerance-grad', '1e9', '--steps', '24', '-o', 'early.png']);
    expect(text.stderr).toMatch(/\nnote: scale 1 ended at step 1 of 24, --tolerance-grad 1000000000: the gradient's largest entry is /);
  });

  it('refuses a bad history, the seed preset, L-BFGS settings without it and a history too big, each in one line, exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[...TINY, '--lbfgs-history', '0'], /--lbfgs-history must be a whole number from 1 to 1000, got 0/],
      [[...TINY, '--lbfgs-history', 'many'], /--lbfgs-history must be a number, got "many"/],
      [[...TINY, '--preset', 'seed'], /--optimizer and --preset are lbfgs and seed, which do not go together: the seed preset is Adam's/],
      [[...TINY.slice(0, -2), '--line-search', 'strong-wolfe'], /--line-search is an L-BFGS setting: choose the lbfgs optimizer/],
      [[...TINY, '--line-search', 'armijo'], /--line-search must be none or strong-wolfe, got armijo/],
      [
        [...TINY.map((a) => (a === '32' ? '8000' : a)), '--lbfgs-history', '1000'],
        /--lbfgs-history needs [\d.]+ GiB at 8000×6000 \(the history [\d.]+ GiB\), more than this device's largest buffer \(maxBufferSize, [\d.]+ [MG]iB\).*: (use \d+ or less( \([^)]*\))?, or a smaller size|use a smaller size)/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await run([...args, '-o', 'refused.png']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(withoutDawn(r.stderr), args.join(' ')).toHaveLength(1);
    }
  });

  it('advises a history that also fits the given --max-memory (one more is refused by it)', async () => {
    const big = [...TINY.map((a) => (a === '32' ? '1024' : a)), '--max-memory', '3000', '-o', 'refused.png'];
    const r = await run([...big, '--lbfgs-history', '1000']);
    expect(r.code).toBe(2);
    const advice = /: use (\d+) or less \(the most that also fits the 3000 MiB GPU memory budget\), or a smaller size/.exec(r.stderr);
    expect(advice, r.stderr).not.toBeNull();
    const next = await run([...big, '--lbfgs-history', String(Number(advice![1]) + 1)]);
    expect(next.code).toBe(2);
    expect(next.stderr).toMatch(/--max-memory is 3000 MiB, too little for the 1024×768 scale/);
  });

  it('Ctrl-C during a line search writes the current image and exits 130', async () => {
    let sent = false;
    const r = await run(
      [...TINY, '--line-search', 'strong-wolfe', '--steps', '5000', '--print-every', '1', '-o', 'stopped.png'],
      (text, child) => {
        if (!sent && /step 5\//.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    );
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/note: stopped after step \d+ of scale 1/);
    expect(readImage(path('stopped.png')).width).toBe(32);
  });

  it('a loss that overflows stops the run, keeps the last good image and exits 3', async () => {
    const r = await run([...TINY, '--lr', '1e30', '--steps', '20', '-o', 'diverged.png']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /error: the loss became (NaN|Infinity) at step 2 of scale 1; kept the image from step 1, whose loss was finite \(try a smaller --lr, or smaller loss weights/,
    );
    expect(readImage(path('diverged.png')).width).toBe(32);
  });
});

describe('L-BFGS from the library', () => {
  it('stylize({ optimizer: "lbfgs" }) reports evaluations, and stops on an AbortSignal', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const result = await stylize({
      content: picture(40, 30, 'content'),
      styles: [path('style.png')],
      weights: syntheticWeights(5),
      size: 32,
      scales: 1,
      steps: 1000,
      printEvery: 1,
      optimizer: 'lbfgs',
      lineSearch: 'strong-wolfe',
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.evaluations);
        if (p.step === 6) controller.abort();
      },
    });
    expect(result.stopped).toBe('aborted');
    // Reports come once a step (one iteration: a few evaluations with a line search) is over.
    expect(seen.slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seen.length).toBeLessThan(30);
    expect(result.message).toMatch(/^stopped after step \d+ of scale 1$/);
  });
});
