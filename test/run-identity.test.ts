// A run's identity (runIdentity, src/io/checkpoint-file.ts) hashes its images and weights in pieces
// through the edge's incremental hasher: no copy of a large image, and the same digests as the
// whole concatenation (so checkpoints written before stay valid).

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runIdentity } from '../src/io/checkpoint-file.js';
import { nodeSha256 } from '../src/node/checkpoint-files.js';
import type { StyleOptions } from '../src/style/job.js';
import { planJob } from '../src/plan/plan-job.js';
import type { VggWeights } from '../src/vgg/index.js';
import { REPO_ROOT } from './helpers/shared.js';

/** Memory the hashing may add to the images and weights it reads (the old code added the image twice: 617 MiB at 8000²). */
const HASHING_MARGIN_MIB = 48;

describe('run identity', () => {
  it('hashes an 8000×8000 RGBA image (244 MiB) in place: max RSS grows by under 48 MiB', async () => {
    const child = join(REPO_ROOT, 'test', 'helpers', 'run-identity-child.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, '8000', '8000'], {
      cwd: REPO_ROOT,
      timeout: 120_000,
    });
    const result = JSON.parse(stdout.trim()) as { baseMiB: number; maxRssMiB: number; imageMiB: number; ms: number };
    console.log(`run identity of 8000×8000: ${result.ms} ms, ${result.maxRssMiB} MiB max RSS (${result.baseMiB} MiB before hashing)`);
    expect(result.baseMiB).toBeGreaterThan(result.imageMiB); // the image was resident before hashing began
    expect(result.maxRssMiB - result.baseMiB).toBeLessThan(HASHING_MARGIN_MIB);
  }, 150_000);

  it('gives the digests of the whole concatenation, so earlier checkpoints still match', () => {
    const [width, height] = [3000, 1500]; // 18 MB: more than one 16 MiB piece
    const data = new Uint8Array(width * height * 4).map((_, i) => (i * 7) & 255);
    const tensor = new Float32Array([1, -2, 3.5, 4]);
    const weights = {
      architecture: 'vgg19',
      tensors: new Map([['conv1_1.bias', { shape: [4], data: tensor }]]),
      input: { range: 255 },
      provenance: {},
    } as unknown as VggWeights;
    const identity = runIdentity({} as StyleOptions, { content: { width, height, data } }, weights, nodeSha256);
    const whole = (...parts: Uint8Array[]) => createHash('sha256').update(Buffer.concat(parts)).digest('hex');
    const text = (s: string) => new TextEncoder().encode(s);
    expect(identity.inputs.content).toBe(whole(text(`${width}x${height}:`), data));
    expect(identity.weights).toBe(whole(text(JSON.stringify(weights.input)), text('conv1_1.bias:4:'), new Uint8Array(tensor.buffer)));
  });

  it('covers the plan less what is written, reported and the device budget (the keys checkpoints have always held)', () => {
    const plan = planJob({ size: 64, scales: 1, printEvery: 3, saveEvery: 7, autotune: false, maxMemory: 900 }, 64, 48, 1);
    const data = new Uint8Array(4);
    const weights = { tensors: new Map(), input: {} } as unknown as VggWeights;
    const identity = runIdentity(plan, { content: { width: 1, height: 1, data } }, weights, nodeSha256);
    const { printEvery: _p, saveEvery: _s, autotune: _a, memory: _m, ...rest } = plan;
    expect(identity.settings).toEqual(JSON.parse(JSON.stringify({ ...rest, init: 'content' })));
  });
});
