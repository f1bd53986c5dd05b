// The histogram term on the command line: the progress line says it when it is on, --json's
// progress lines carry it; --color-transfer takes its values.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticWeights, writeImage } from '../src/index.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { cli } from './helpers/cli.js';
import { picture } from './helpers/pictures.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-histogram-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const path = (name: string) => join(work, name);
const run = (args: string[]) => cli(args, { cwd: work, env: { WGPU_STYLE_CACHE: path('cache') } });
const TINY = ['content.png', 'style.png', '--weights', 'syn.bin', '--size', '32', '--scales', '1', '--steps', '2', '--no-autotune'];
const HISTOGRAM = ['--histogram-weight', '1', '--histogram-layers', 'conv1_1,conv2_1'];

beforeAll(async () => {
  await writeWeightsFile(path('syn.bin'), syntheticWeights(5));
  writeImage(path('content.png'), picture(40, 30, 'content'));
  writeImage(path('style.png'), picture(32, 32, 'style'));
});

describe('the histogram term and colour transfer on the command line', () => {
  it('reports the term in the progress line and in --json (off: test/histogram-job)', async () => {
    const on = await run([...TINY, ...HISTOGRAM, '--color-transfer', 'content', '-o', 'on.png']);
    expect(on.code, on.stderr).toBe(0);
    expect(on.stderr).toMatch(/step 2\/2 loss \S+ \(content \S+, style \S+, tv \S+, histogram \d\.\d{3,}(e[+-]\d+)?\)/);
    const json = await run([...TINY, ...HISTOGRAM, '--json', '-o', 'json.png']);
    const progress = json.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; histogram?: number | null })
      .filter((l) => l.type === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => typeof p.histogram === 'number' && p.histogram > 0)).toBe(true);
  });

  it('refuses a --color-transfer value it does not know, naming the choices', async () => {
    const r = await run([...TINY, '--color-transfer', 'both', '-o', 'x.png']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--color-transfer must be none or style or content, got both/);
  });
});
