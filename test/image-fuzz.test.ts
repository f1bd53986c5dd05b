import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { layerIndex } from '../src/vgg/index.js';
import { cli, type CliResult } from './helpers/cli.js';
import { jpegWithExif, jpegWithSize, pngClaiming, tiffBlock } from './helpers/hostile-images.js';
import { REPO_ROOT } from './helpers/shared.js';

const fixture = (name: string) => readFileSync(join(REPO_ROOT, 'test', 'fixtures', name));
const work = mkdtempSync(join(tmpdir(), 'wgpu-style-fuzz-'));
const hostile = join(work, 'hostile'); // every file in it is decoded by the fuzz child too
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  mkdirSync(hostile);
  const files: Record<string, Uint8Array> = {
    'bomb.png': pngClaiming(20000, 20000, 1),
    'bomb.jpg': jpegWithSize(fixture('gray.jpg'), 19000, 19000),
    'under-limit.png': pngClaiming(14000, 14000, 1),
    'under-limit.jpg': jpegWithSize(fixture('plain.jpg'), 14000, 14000),
    'zip-bomb.png': pngClaiming(1, 1, 64 << 20, true),
    'truncated.jpg': fixture('plain.jpg').subarray(0, 300),
    'truncated.png': fixture('rgb8.png').subarray(0, 200),
    'broken-exif.jpg': jpegWithExif(fixture('plain.jpg'), tiffBlock(6, { ifdOffset: 0x7fff0000 })),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(hostile, name), bytes);
  mkdirSync(join(work, 'folder.jpg'));
  await writeWeightsFile(join(work, 'synthetic.bin'), syntheticWeights(1, layerIndex('conv1_2')));
});

interface FuzzResult {
  counts: Record<'jpeg' | 'png', Record<string, number>>;
  failures: string[];
  slowest: { ms: number; name: string };
  maxRssMiB: number;
}

/**
 * Runs test/helpers/image-fuzz-child.ts; kills it when one case runs past `caseSeconds` (the
 * child announces each case on a line of its own) and reports which.
 */
function runFuzzChild(args: string[], caseSeconds: number): Promise<FuzzResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test', 'helpers', 'image-fuzz-child.ts'), ...args], {
      cwd: REPO_ROOT,
    });
    let current = '(starting)';
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`fuzz case ran past ${caseSeconds} s: ${current}`));
      }, caseSeconds * 1000);
    };
    let pending = '';
    let stderr = '';
    let result: FuzzResult | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('case ')) [current] = [line.slice(5), arm()];
        if (line.startsWith('result ')) result = JSON.parse(line.slice(7)) as FuzzResult;
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    arm();
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (result && code === 0) resolve(result);
      else reject(new Error(`fuzz child ended with ${signal ?? code} during ${current}: ${stderr.slice(-2000)}`));
    });
  });
}

describe.concurrent('hostile images', () => {
  it('every mutated JPEG and PNG decodes or is refused with a UserError, each within seconds, in bounded memory', async () => {
    const result = await runFuzzChild(['1', '300', hostile], 5);
    for (const format of ['jpeg', 'png'] as const) {
      const counts = result.counts[format];
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      console.log(
        `image fuzz: ${format}: ${total} cases: ${Object.entries(counts)
          .map(([how, n]) => `${n} ${how}`)
          .join(', ')}`,
      );
      expect(total).toBeGreaterThanOrEqual(300);
      expect(counts.decoded, `${format}: some mutations still decode`).toBeGreaterThan(0);
    }
    console.log(`image fuzz: slowest case ${result.slowest.ms} ms (${result.slowest.name}); peak RSS ${result.maxRssMiB} MiB`);
    expect(result.failures).toEqual([]);
    expect(result.slowest.ms).toBeLessThan(3000);
    expect(result.maxRssMiB).toBeLessThan(300);
  });

  it('the CLI refuses hostile images with status 2 and one line, before the GPU or the weights', async () => {
    const cases = [
      join(hostile, 'bomb.png'),
      join(hostile, 'bomb.jpg'),
      join(hostile, 'truncated.jpg'),
      '/dev/zero',
      join(work, 'folder.jpg'),
    ];
    const expected = [
      /over the limit of 200 megapixels/,
      /over the limit of 200 megapixels/,
      /the JPEG file is damaged/,
      /it is a device/,
      /it is a folder/,
    ];
    const run = async (content: string): Promise<CliResult & { seconds: number }> => {
      const start = performance.now();
      const args = [
        content,
        join(REPO_ROOT, 'test', 'fixtures', 'plain.jpg'),
        '--weights',
        join(work, 'synthetic.bin'),
        '--offline',
        '-o',
        join(work, 'out.png'),
      ];
      const result = await cli(args, { cwd: work });
      return { ...result, seconds: (performance.now() - start) / 1000 };
    };
    // Two at a time: each CLI start is CPU-bound, and the machine may have two cores.
    const results: Array<CliResult & { seconds: number }> = [];
    for (let i = 0; i < cases.length; i += 2) results.push(...(await Promise.all(cases.slice(i, i + 2).map(run))));
    results.forEach((r, i) => {
      const what = `${cases[i]}: ${r.stderr}`;
      expect(r.code, what).toBe(2);
      expect(r.stderr.trim().split('\n'), what).toHaveLength(1);
      expect(r.stderr, what).not.toContain('    at ');
      expect(r.stderr, what).toContain(`wgpu-style: ${cases[i]}: `);
      expect(r.stderr, what).toMatch(expected[i]!);
      expect(r.seconds, what).toBeLessThan(40);
    });
    console.log(`image fuzz: CLI refusals took ${results.map((r) => r.seconds.toFixed(1)).join(', ')} s (mostly start-up)`);
  });
});
