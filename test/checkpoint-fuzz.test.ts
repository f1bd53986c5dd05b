// Fuzzing `--resume`: seeded mutations of two real checkpoints (Adam, L-BFGS), of their header and of
// their data (test/helpers/checkpoint-fuzz-child.ts), each end, before any GPU work, in a state to
// resume or one short line of UserError, in milliseconds and bounded memory. A few of them then go
// to the real CLI: a refused one stops with exit 2 and that line, a resumable one ends on an image.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticWeights, writeImage } from '../src/index.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { cli } from './helpers/cli.js';
import { runFuzzChild } from './helpers/fuzz-child.js';
import { picture } from './helpers/pictures.js';

const SEED = 20261207;
const CASES = 400;
/** Far longer than a case takes (milliseconds): then the child is stopped. */
const HANG_MS = 10_000;
const MAX_RSS_MIB = 300;
/** A refusal names the file, what is wrong and what to do: a few hundred characters, whatever the file holds. */
const LONGEST_MESSAGE = 400;

interface FuzzResult {
  cases: number;
  counts: Record<string, number>;
  failures: string[];
  slowest: { ms: number; name: string };
  longest: { length: number; message: string };
  maxRssMiB: number;
  samples: Array<{ path: string; reason: string; resumable: boolean }>;
}

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-checkpoint-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const run = (args: string[]) => cli(args, { cwd: work, env: { WGPU_STYLE_CACHE: join(work, 'cache') } });
const RUN = ['content.png', 'style.png', '--weights', 'syn.bin', '--size', '32', '--scales', '1', '--steps', '4', '--no-autotune'];

beforeAll(async () => {
  await writeWeightsFile(join(work, 'syn.bin'), syntheticWeights(5));
  writeImage(join(work, 'content.png'), picture(40, 30, 'content'));
  writeImage(join(work, 'style.png'), picture(32, 32, 'style'));
  // The two tiny runs whose checkpoints (of step 2) are mutated.
  const made = await Promise.all([
    run([...RUN, '--checkpoint-every', '2', '-o', 'adam.png']),
    run([...RUN, '--optimizer', 'lbfgs', '--tv-weight', '1', '--checkpoint-every', '2', '-o', 'lbfgs.png']),
  ]);
  for (const r of made) expect(r.code, r.stderr).toBe(0);
});

/** Runs the child, stopping it when one case runs past HANG_MS. */
function fuzz(): Promise<FuzzResult> {
  return runFuzzChild('checkpoint-fuzz-child.ts', [work, String(CASES), String(SEED)], 'checkpoint', HANG_MS);
}

describe('--resume on seeded mutations of real checkpoints', () => {
  let result: FuzzResult;

  it(`${CASES} mutated checkpoints (header and data) each end in a resumable state or one short line of UserError, in milliseconds and bounded memory`, async () => {
    result = await fuzz();
    const top = Object.entries(result.counts)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `    ${v} × ${k}`);
    console.log(
      [
        `checkpoints: ${result.cases} cases; slowest ${result.slowest.ms} ms (${result.slowest.name}); longest message ${result.longest.length} characters; maxRSS ${result.maxRssMiB} MiB`,
        ...top,
      ].join('\n'),
    );
    expect(result.cases).toBe(CASES);
    expect(result.failures).toEqual([]);
    expect(Object.keys(result.counts).every((k) => k === 'resumable' || k.startsWith('refused:'))).toBe(true);
    // The mutations reach the checks past the checksum (the identity, the optimiser's schema), and
    // data damage with a checksum made right again is resumable (the run finds out, see below).
    expect(result.counts['resumable']).toBeGreaterThan(CASES / 20);
    expect(Object.keys(result.counts).some((k) => /Adam|L-BFGS/.test(k))).toBe(true);
    expect(result.counts['refused: belongs to another run']).toBeGreaterThan(0);
    expect(result.longest.length, result.longest.message).toBeLessThan(LONGEST_MESSAGE);
    expect(result.slowest.ms).toBeLessThan(2000);
    expect(result.maxRssMiB).toBeLessThan(MAX_RSS_MIB);
  });

  it('the real CLI: `--resume <file>` alone stops a refused one with exit 2 and that one line, and ends a resumable one on an image', async () => {
    const refused = result.samples.filter((s) => !s.resumable);
    const resumable = result.samples.filter((s) => s.resumable);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(resumable.length).toBe(2);
    for (const sample of result.samples) {
      const started = Date.now();
      const r = await run(['--resume', sample.path]);
      const what = `${sample.path} (${sample.reason}): ${r.stderr}`;
      expect(r.stderr, what).not.toMatch(/^ {4}at /m);
      expect(Date.now() - started, what).toBeLessThan(60_000);
      const image = sample.path.replace(/\.ckpt$/, '');
      if (sample.resumable) {
        // Damaged numbers may make the loss overflow (exit 3, the last good image kept).
        expect([0, 3], what).toContain(r.code);
        expect(existsSync(image), what).toBe(true);
      } else {
        expect(r.code, what).toBe(2);
        const last = r.stderr.trimEnd().split('\n').at(-1)!;
        expect(last, what).toMatch(/^wgpu-style: \S/);
        expect(last.length, what).toBeLessThan(LONGEST_MESSAGE + 2 * sample.path.length); // the file named twice at most
        expect(existsSync(image), what).toBe(false);
      }
    }
  });
});
