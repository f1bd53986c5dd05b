// What bench/gpu-report.ts measures, and how it is written: gpu-report.json (everything) and
// gpu-report.md (the adapter, the best variant of each family per layer, steps and memory).

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdapterSummary } from '../src/gpu/index.js';
import { CHECK_TOLERANCE, type VariantCheck } from './gpu-report-variants.js';

export interface ConvTiming {
  size: number;
  layer: number;
  /** Input [N, Cin, H, W] of the forward; the input gradient runs on dy [N, cout, H, W]. */
  shape: number[];
  cout: number;
  pass: 'forward' | 'input-grad';
  variant: string;
  /** Fastest run, GPU ms; null when it failed. */
  ms: number | null;
  /** Counted as the direct convolution's multiply-adds (2 FLOPs each), so Winograd can exceed the direct ceiling. */
  gflops: number | null;
  error: string | null;
}

export interface GpuReport {
  startedAt: string;
  argv: string[];
  adapter: {
    description: string;
    summary: AdapterSummary;
    subgroupMinSize: number;
    subgroupMaxSize: number | null;
    deviceFeatures: string[];
    limits: Record<string, number>;
    timestamps: boolean;
    variants: string[];
  } | null;
  /** Each variant against the float64 oracle on this adapter. */
  checks: VariantCheck[];
  autotune: Array<{ size: number; key: string; chosen: string | null; ms: Record<string, number> | null }>;
  convs: ConvTiming[];
  steps: Array<{
    size: string;
    secondsPerStep: number | null;
    /** The main thread's ms recording one step (on a real GPU at small sizes, the step's floor). */
    recordMs: number | null;
    peakLiveBytes: number | null;
    peakBytes: number | null;
    error: string | null;
  }>;
  notes: string[];
  elapsedSeconds: number;
}

/** The variant families the table compares, by name. */
export function variantFamily(name: string): 'subgroup' | 'direct' | 'tiled' | 'winograd' {
  if (/wino/.test(name)) return 'winograd';
  if (name.startsWith('tiled-')) return 'tiled';
  if (name.startsWith('sg-')) return 'subgroup';
  return 'direct';
}

const FAMILIES = ['direct', 'subgroup', 'tiled', 'winograd'] as const;
const LIMITS_SHOWN = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
];
const mib = (bytes: number | null) => (bytes === null ? '–' : (bytes / 2 ** 20).toFixed(0));

export function gpuReportMarkdown(r: GpuReport): string {
  const lines: string[] = ['# wgpu-style GPU report', ''];
  const a = r.adapter;
  if (a) {
    lines.push(
      `Adapter: **${a.description}**; subgroups ${a.subgroupMinSize || '?'}–${a.subgroupMaxSize ?? '?'}; timestamps ${a.timestamps ? 'yes' : 'no'}.`,
    );
    lines.push(`Limits: ${LIMITS_SHOWN.map((k) => `${k} ${a.limits[k] ?? '?'}`).join(', ')}.`);
    lines.push(`Features: ${a.deviceFeatures.join(', ')}.`, '');
  }
  lines.push(`Started ${r.startedAt}, ${r.elapsedSeconds.toFixed(0)} s, arguments \`${r.argv.join(' ')}\`.`, '');
  if (r.checks.length) {
    const failed = r.checks.filter((c) => !c.ok);
    const worst = Math.max(...r.checks.map((c) => c.maxRelativeError ?? 0));
    lines.push(
      failed.length
        ? `**Correctness: ${failed.length} of ${r.checks.length} variants FAILED** against the float64 oracle: ${failed.map((c) => `${c.variant} (${c.error ?? c.maxRelativeError?.toExponential(1)})`).join(', ')}.`
        : `Correctness: all ${r.checks.length} variants within ${CHECK_TOLERANCE} of the float64 oracle (worst ${worst.toExponential(1)}), relu → conv forward and masked input gradient.`,
      '',
    );
  }
  const sizes = [...new Set(r.convs.map((c) => c.size))];
  for (const size of sizes) {
    lines.push(`## conv3x3 at ${size} px: fastest variant of each family, ms (GFLOP/s, direct-conv FLOPs)`, '');
    lines.push(
      `| layer | Cin→Cout @ H×W | pass | ${FAMILIES.join(' | ')} | autotuner's pick |`,
      '| --- | --- | --- |' + ' --- |'.repeat(FAMILIES.length + 1),
    );
    const rows = new Map<string, ConvTiming[]>();
    for (const c of r.convs.filter((t) => t.size === size)) {
      const key = `${c.layer}|${c.pass}`;
      rows.set(key, [...(rows.get(key) ?? []), c]);
    }
    for (const timings of rows.values()) {
      const t0 = timings[0]!;
      const [n, cin, h, w] = t0.shape as [number, number, number, number];
      const cells = FAMILIES.map((f) => {
        const best = timings.filter((t) => t.ms !== null && variantFamily(t.variant) === f).sort((x, y) => x.ms! - y.ms!)[0];
        return best ? `${best.ms!.toFixed(3)} (${best.gflops!.toFixed(0)}) ${best.variant}` : '–';
      });
      // The input gradient is the forward of dy [N, Cout, H, W] into Cin channels: its own tuning key.
      const key = t0.pass === 'forward' ? `${[n, cin, h, w].join('x')}>${t0.cout}` : `${[n, t0.cout, h, w].join('x')}>${cin}`;
      const pick = r.autotune.find((x) => x.size === size && x.key.endsWith(`|${key}`))?.chosen ?? '–';
      lines.push(`| ${t0.layer} | ${cin}→${t0.cout} @ ${h}×${w} | ${t0.pass} | ${cells.join(' | ')} | ${pick} |`);
    }
    const failed = r.convs.filter((t) => t.size === size && t.error).length;
    if (failed) lines.push('', `${failed} timings at ${size} px failed (see the JSON).`);
    lines.push('');
  }
  if (r.steps.length) {
    lines.push(
      '## Full style steps (VGG-19 0–28, seed loss, autotuned)',
      '',
      '| size | s/step | recording ms/step | peak live MiB | allocated MiB | note |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const s of r.steps) {
      lines.push(
        `| ${s.size} | ${s.secondsPerStep === null ? '–' : s.secondsPerStep.toFixed(4)} | ${s.recordMs === null ? '–' : s.recordMs.toFixed(1)} | ${mib(s.peakLiveBytes)} | ${mib(s.peakBytes)} | ${s.error ?? ''} |`,
      );
    }
    lines.push('');
  }
  if (r.notes.length) lines.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

/** Writes both files atomically (a run killed mid-write keeps the previous complete pair). */
export function writeGpuReport(dir: string, r: GpuReport): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'gpu-report.json');
  const markdown = join(dir, 'gpu-report.md');
  for (const [path, text] of [
    [json, JSON.stringify(r, null, 1)],
    [markdown, gpuReportMarkdown(r)],
  ] as const) {
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  }
  return { json, markdown };
}
