// Small inputs for the batch and queue tests: synthetic weights up to conv2_1, content pictures of
// a few sizes, a style picture, and the tiny settings every run of them uses.

import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { syntheticWeights, writeImage } from '../../src/index.js';
import { writeWeightsFile } from '../../src/node/weights-files.js';
import { picture } from './pictures.js';

/** Style options for tiny runs: 16 px, one scale, layers conv1_1 and conv2_1 (weights up to index 5). */
export const TINY = ['--size', '16', '--scales', '1', '--no-autotune', '--content-layers', '5', '--style-layers', '0,5'];

export async function makeBatchInputs(dir: string, count: number): Promise<{ weights: string; style: string; inputs: string }> {
  const inputs = join(dir, 'in');
  mkdirSync(inputs, { recursive: true });
  await writeWeightsFile(join(dir, 'syn.bin'), syntheticWeights(5, 5));
  writeImage(join(dir, 'style.png'), picture(24, 24, 'style'));
  for (let i = 0; i < count; i++)
    writeImage(join(inputs, `p${String(i).padStart(3, '0')}.png`), picture(20 + (i % 5) * 3, 18 + (i % 3) * 2, 'content'));
  return { weights: join(dir, 'syn.bin'), style: join(dir, 'style.png'), inputs };
}

/** The manifest's records, in order. */
export function manifestLines(
  outDir: string,
): Array<{ input: string; output: string; status: string; message?: string; by: string; job?: string }> {
  return readFileSync(join(outDir, 'manifest.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** The files in a folder (not in sub-folders), sorted. */
export function filesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
}
