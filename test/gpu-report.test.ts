import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GpuReport } from '../bench/gpu-report-output.js';
import { variantFamily } from '../bench/gpu-report-output.js';
import { TILED_CONV_VARIANTS } from '../src/kernels/conv3x3_tiled.js';
import { REPO_ROOT } from './helpers/shared.js';

const out = mkdtempSync(join(tmpdir(), 'wgpu-style-gpu-report-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function report(dir: string, args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bench', 'gpu-report.ts'), '--out', dir, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, WGPU_STYLE_CACHE: join(out, 'cache') },
  });
  expect(run.status, run.stderr.slice(-2000)).toBe(0);
  return {
    json: JSON.parse(readFileSync(join(dir, 'gpu-report.json'), 'utf8')) as GpuReport,
    markdown: readFileSync(join(dir, 'gpu-report.md'), 'utf8'),
  };
}

describe('GPU report (bench/gpu-report.ts, quick mode on tiny sizes)', () => {
  it('names the adapter and its limits, times every variant family per layer, and records a failed step without stopping', () => {
    const { json, markdown } = report(join(out, 'quick'), ['--quick', '--sizes', '8', '--layers', '2', '--step-sizes', '8,16']);
    expect(json.adapter?.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
    expect(json.adapter?.variants).toEqual(expect.arrayContaining(TILED_CONV_VARIANTS.map((v) => v.name)));
    const timed = json.convs.filter((c) => c.ms !== null);
    for (const pass of ['forward', 'input-grad'])
      for (const v of TILED_CONV_VARIANTS) expect(timed.some((c) => c.pass === pass && c.variant === v.name)).toBe(true);
    expect(new Set(timed.map((c) => variantFamily(c.variant)))).toContain('direct');
    expect(json.autotune.map((a) => a.key)).toEqual([expect.stringMatching(/\|1x64x8x8>64$/)]); // layer 2 (its input gradient: the same shape)
    expect(json.adapter?.variants).toContain(json.autotune[0]!.chosen);
    // 8 px is too small for VGG-19's deepest layers: that step fails, is recorded, and 16 px still runs.
    expect(json.steps.map((s) => [s.size, s.error === null])).toEqual([
      ['8', false],
      ['16', true],
    ]);
    expect(json.steps[1]!.secondsPerStep).toBeGreaterThan(0);
    expect(markdown).toMatch(/\| 2 \| 64→64 @ 8×8 \| forward \|.*tiled-/);
    expect(markdown).toMatch(/\| 16 \| [\d.]+ \| \d+ \|/);
  });

  it('writes what it has when the time budget is spent', () => {
    const { json, markdown } = report(join(out, 'budget'), ['--quick', '--budget-seconds', '0']);
    expect(json.adapter).not.toBeNull();
    expect(json.convs).toEqual([]);
    expect(json.notes.join('\n')).toMatch(/skipped kernels at 16 px: the 0 s budget was spent/);
    expect(markdown).toContain('# wgpu-style GPU report');
  });
});
