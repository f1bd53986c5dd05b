import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GpuReport } from '../bench/gpu-report-output.js';
import { variantFamily } from '../bench/gpu-report-output.js';
import { checkVariants, variantsToTime } from '../bench/gpu-report-variants.js';
import { TILED_CONV_VARIANTS } from '../src/kernels/conv3x3_tiled.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { useGpu } from './helpers/gpu.js';
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
    // Every variant checked against the float64 oracle on this adapter, and correct.
    expect(json.checks.map((c) => c.variant)).toEqual(json.adapter?.variants);
    expect(json.checks.filter((c) => !c.ok)).toEqual([]);
    expect(markdown).toMatch(/Correctness: all \d+ variants within/);
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
    expect(json.steps[1]!.recordMs).toBeGreaterThan(0);
    expect(markdown).toMatch(/\| 16 \| [\d.]+ \| [\d.]+ \| \d+ \|/);
  });

  it('writes what it has when the time budget is spent', () => {
    const { json, markdown } = report(join(out, 'budget'), ['--quick', '--budget-seconds', '0']);
    expect(json.adapter).not.toBeNull();
    expect(json.convs).toEqual([]);
    expect(json.notes.join('\n')).toMatch(/skipped kernels at 16 px: the 0 s budget was spent/);
    expect(markdown).toContain('# wgpu-style GPU report');
  });
});

describe('GPU report correctness check', () => {
  const gpu = useGpu();
  it('flags a variant whose shader is wrong on this adapter', async () => {
    const broken = withBrokenShader(gpu(), 'conv3x3_tiled', 'let ix = i32(tx0 + col) - 1;', 'let ix = i32(tx0 + col);');
    const tiled = variantsToTime(broken).filter((v) => v.name === TILED_CONV_VARIANTS[0]!.name);
    const [check] = await checkVariants(broken, tiled);
    expect(check).toMatchObject({ variant: TILED_CONV_VARIANTS[0]!.name, ok: false, error: null });
    expect(check!.maxRelativeError).toBeGreaterThan(1e-2);
    const [good] = await checkVariants(
      gpu(),
      variantsToTime(gpu()).filter((v) => v.name === TILED_CONV_VARIANTS[0]!.name),
    );
    expect(good!.ok).toBe(true);
  });
});
