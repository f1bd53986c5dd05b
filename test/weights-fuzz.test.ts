// Fuzzing the weights readers: seeded mutations of a valid .bin, TF.js model (model.json + shards),
// Keras .h5, PyTorch .pth and MXNet .params (test/helpers/weights-mutations.ts), and of pickles
// (memo structures: cycles, "billion laughs") and zips (sizes, names, compression ratios: MXNet's
// zipped .params as `weights fetch` takes it out; test/helpers/weights-fuzz-pickle-zip.ts), including
// their worst cases (a 64-deep memo nest, 64 MiB zip bombs), must each end in weights or a clear UserError;
// never another exception, a hang, or runaway memory. Each format runs in a child process of its
// own (test/helpers/weights-fuzz-child.ts) for a clean maxRSS and so that a hang can be stopped.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { runFuzzChild } from './helpers/fuzz-child.js';

type Format = 'bin' | 'tfjs' | 'h5' | 'pth' | 'params' | 'pickle' | 'zip';
interface FuzzResult {
  format: Format;
  cases: number;
  counts: Record<string, number>;
  failures: string[];
  slowest: { ms: number; name: string };
  maxRssMiB: number;
  openFds: number | null;
  samples: Array<{ path: string; reason: string }>;
}

const SEED = 20240611;
/** 300 of each; .h5 too: a case takes ~15 ms (h5wasm in a worker), except those where HDF5 loops until the 2 s limit. */
const CASES: Record<Format, number> = { bin: 300, tfjs: 300, h5: 300, pth: 300, params: 300, pickle: 300, zip: 300 };
/** Longer than any case may take (the .h5 reader gives up on an HDF5 call after 2 s): then the child is stopped. */
const HANG_MS = 10_000;
const MAX_RSS_MIB = 400;

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-weights-fuzz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs one format's cases in a child process, stopping it when one case runs past HANG_MS. */
function fuzz(format: Format): Promise<FuzzResult> {
  return runFuzzChild('weights-fuzz-child.ts', [format, String(CASES[format]), String(SEED), join(work, format)], format, HANG_MS);
}

function report(r: FuzzResult): string {
  const valid = r.counts['read: valid weights'] ?? 0;
  const refused = Object.entries(r.counts)
    .filter(([k]) => k.startsWith('refused:'))
    .reduce((n, [, v]) => n + v, 0);
  const top = Object.entries(r.counts)
    .filter(([k]) => k.startsWith('refused:'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, v]) => `    ${v} × ${k.slice('refused: '.length)}`);
  return [
    `${r.format}: ${r.cases} cases: ${valid} read as valid weights, ${refused} refused with a UserError (${Object.keys(r.counts).length - 1} kinds), ` +
      `${r.failures.length} other; slowest ${r.slowest.ms} ms (${r.slowest.name}); maxRSS ${r.maxRssMiB} MiB; ${r.openFds ?? '?'} descriptors open at the end`,
    ...top,
  ].join('\n');
}

const results = new Map<Format, FuzzResult>();

describe('weights readers on seeded mutations of valid files', () => {
  for (const format of ['bin', 'tfjs', 'h5', 'pth', 'params', 'pickle', 'zip'] as const) {
    it(`${format}: ${CASES[format]} mutated files each end in weights or one clean line of UserError, in seconds and bounded memory`, async () => {
      const r = await fuzz(format);
      console.log(report(r));
      expect(r.cases).toBe(CASES[format]);
      expect(r.failures).toEqual([]);
      expect(Object.keys(r.counts).every((k) => k.startsWith('read:') || k.startsWith('refused:'))).toBe(true);
      // The mutations reach the readers' checks (most are refused), and some leave the weights intact.
      const refused = r.cases - (r.counts['read: valid weights'] ?? 0);
      expect(refused).toBeGreaterThan(r.cases / 2);
      expect(r.slowest.ms).toBeLessThan(format === 'h5' ? 5000 : 2000);
      expect(r.maxRssMiB).toBeLessThan(MAX_RSS_MIB);
      if (r.openFds !== null) expect(r.openFds).toBeLessThan(100); // no descriptor leaked per case
      expect(r.samples.length).toBeGreaterThan(0);
      results.set(format, r);
    });
  }

  it('the real CLI refuses some of those files (weights info / weights convert) with exit 2 and one line, no stack', async () => {
    const runs = [...results.values()].flatMap((r) =>
      r.samples.map((s, i) => {
        const args =
          r.format === 'bin'
            ? ['weights', 'info', s.path]
            : ['weights', 'convert', s.path, '-o', join(work, `cli-${r.format}-${i}.bin`), '--up-to', '4'];
        return { args, output: args[4], sample: s };
      }),
    );
    expect(runs.length).toBeGreaterThanOrEqual(6);
    for (let at = 0; at < runs.length; at += 3) {
      await Promise.all(
        runs.slice(at, at + 3).map(async ({ args, output, sample }) => {
          const { code, stderr } = await cli(args, { cwd: dirname(sample.path) });
          const what = `${args.join(' ')} (${sample.reason}): ${stderr}`;
          expect(code, what).toBe(2);
          expect(stderr.trimEnd().split('\n'), what).toHaveLength(1);
          expect(stderr, what).toMatch(/^wgpu-style: \S/);
          expect(stderr, what).not.toMatch(/^ {4}at |HDF5-DIAG/m);
          if (output) expect(existsSync(output), what).toBe(false);
        }),
      );
    }
  });
});
