import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { CONV_VARIANTS } from '../src/kernels/index.js';
import { REPO_ROOT } from './helpers/shared.js';

const out = mkdtempSync(join(tmpdir(), 'wgpu-style-bench-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('benchmark harness (quick mode, tiny sizes)', () => {
  it('times every kernel and pass, the peers and a full step, and writes JSON and an HTML chart', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'bench', 'run.ts'), '--quick', '--size', '16', '--step-sizes', '16,16x24', '--out', out],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 600_000,
        env: { ...process.env, WGPU_STYLE_CACHE: join(out, 'cache') },
      },
    );
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    expect(run.stdout).toMatch(/adapter: .*probe: matmul [\d.]+ GFLOP\/s, copy [\d.]+ GB\/s/);
    const records = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as Array<Record<string, unknown>>;
    const ours = records.filter((r) => r.impl === 'wgpu-style' && !('kind' in r));
    const kinds = new Set(ours.map((r) => `${r.op}/${r.pass}`));
    for (const k of [
      'conv3x3/forward',
      'conv3x3/input-grad',
      'conv3x3/weight-grad',
      'relu/forward',
      'relu/backward',
      'maxpool/forward',
      'maxpool/backward',
      'gram/forward',
      'gram/backward',
      'mse/forward',
      'mse/backward',
      'tv/forward',
      'tv/backward',
      'adam/step',
    ]) {
      expect(kinds.has(k), k).toBe(true);
    }
    for (const r of ours) {
      expect(r.medianMs as number).toBeGreaterThan(0);
      expect(r.minMs as number).toBeLessThanOrEqual(r.medianMs as number);
      expect(r.size).toBe(16);
      if (r.op === 'conv3x3' || r.op === 'gram') expect(r.gflops as number).toBeGreaterThan(0);
      else expect(r.gbps as number).toBeGreaterThan(0);
    }
    // The distinct VGG conv shapes 0..28 at 16 px: 3→64, 64→64 @16; 64→128, 128→128 @8; 128→256, 256→256 @4;
    // 256→512, 512→512 @2; 512→512 @1.
    expect(ours.filter((r) => r.op === 'conv3x3' && r.pass === 'forward')).toHaveLength(9);
    const adapter = records.find((r) => r.kind === 'adapter')!;
    expect(adapter.peakMatmulGflops as number).toBeGreaterThan(0);
    expect(records.some((r) => r.impl === 'tfjs-wasm' && r.op === 'conv3x3')).toBe(true);
    expect(records.some((r) => r.impl === 'tfjs-webgpu' && r.op === 'conv3x3')).toBe(true);
    for (const size of ['16', '16x24']) {
      const step = records.find((r) => r.kind === 'style-step' && r.impl === 'wgpu-style' && r.size === size)!;
      expect(step.secondsPerStep as number, size).toBeGreaterThan(0);
    }
    expect(records.filter((r) => r.kind === 'step-share').length).toBeGreaterThan(5);
    // The autotuner's pick for every conv shape of the step (forward and input gradient).
    const tuned = records.filter((r) => r.kind === 'autotune');
    expect(tuned.length).toBeGreaterThanOrEqual(9);
    for (const r of tuned) expect(CONV_VARIANTS.map((v) => v.name)).toContain(r.chosen);
    expect(readFileSync(join(out, 'latest.html'), 'utf8')).toMatch(/<svg[^>]*>.*wgpu-style.*<\/svg>/s);
  });
});
