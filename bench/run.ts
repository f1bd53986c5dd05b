// `npm run bench`: per-kernel timings for every VGG-19 (0..28) shape, a device-peak probe,
// full style steps, and the same work in TensorFlow.js (WebGPU and WASM) and PyTorch when present.
//   npm run bench -- [--size 256 ...] [--step-sizes 100x200,128,256,512] [--quick] [--runs 5] [--peers tfjs-webgpu,tfjs-wasm,pytorch] [--cached-tuning]
// (100x200 is height × width: the shape of the PyTorch seed's step.)

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeAdapter } from '../src/gpu/index.js';
import { autotuneConv, convTuningKey, tuningFor } from '../src/kernels/index.js';
import { createNodeContext } from '../src/node/gpu.js';
import { convShapesForStep } from '../src/vgg/index.js';
import { benchKernels, probePeak } from './ours.js';
import type { BenchRecord } from './record.js';
import { table, writeOutputs, type AdapterRecord, type Output, type ShareRecord, type StepRecord } from './report.js';
import { vggCases } from './shapes.js';
import { parseStepSize, profileStyleStep, timeStyleStep } from './style-step.js';
import { benchTfjsKernels, timeTfjsStyleStep, type TfjsImpl } from './tfjs.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', multiple: true },
    'step-sizes': { type: 'string' },
    quick: { type: 'boolean' },
    runs: { type: 'string' },
    peers: { type: 'string', default: 'tfjs-webgpu,tfjs-wasm,pytorch' },
    out: { type: 'string', default: join('bench', 'results') },
    'max-step-seconds': { type: 'string', default: '60' },
    'cached-tuning': { type: 'boolean' },
  },
});
const quick = Boolean(values.quick);
const sizes = (values.size ?? [quick ? '24' : '256']).map(Number);
const stepSizes = (values['step-sizes'] ?? (quick ? '24' : '100x200,128,256,512')).split(',');
const runs = Number(values.runs ?? (quick ? 2 : 5));
const peers = values.peers!.split(',').filter(Boolean);
const maxStepSeconds = Number(values['max-step-seconds']);
const log = (s: string) => process.stderr.write(`${s}\n`);
const mib = (bytes: number | null | undefined) => (bytes == null ? '-' : (bytes / 2 ** 20).toFixed(1));

const ctx = await createNodeContext();
log(`adapter: ${describeAdapter(ctx.adapter)}`);
// The autotuner measures afresh (and rewrites <cache>/autotune.json) unless --cached-tuning.
if (!values['cached-tuning']) tuningFor(ctx).clear();
const peak = await probePeak(ctx, runs, quick);
const adapter: AdapterRecord = {
  kind: 'adapter',
  vendor: ctx.adapter.vendor,
  architecture: ctx.adapter.architecture,
  description: ctx.adapter.description,
  backend: process.env.WGPU_STYLE_BACKEND ?? `Dawn default (${process.platform === 'linux' ? 'Vulkan' : 'platform'})`,
  peakMatmulGflops: peak.matmulGflops,
  peakCopyGbps: peak.copyGbps,
};
const output: Output = [adapter];
const records: BenchRecord[] = [];

for (const size of sizes) {
  const cases = vggCases(size);
  // Our kernels run with the variants the autotuner picks for this adapter (listed in the JSON).
  const shapes = convShapesForStep(size, size, 28);
  // Whole shapes: their times are the per-layer figures reported.
  const measured = new Map((await autotuneConv(ctx, shapes, { proxyBytes: Infinity, exhaustive: true })).map((r) => [r.key, r.ms]));
  for (const key of new Set(shapes.map((s) => convTuningKey(s.shape, s.cout)))) {
    const chosen = tuningFor(ctx).get(key)!;
    output.push({ kind: 'autotune', size, key, chosen, ms: measured.get(key) ?? null });
    log(`  autotune ${key}: ${chosen}${measured.has(key) ? '' : ' (cached)'}`);
  }
  log(`kernels at ${size} px (${cases.length} shapes):`);
  records.push(...(await benchKernels(ctx, cases, size, runs, log)));
  for (const peer of peers.filter((p): p is TfjsImpl => p.startsWith('tfjs-'))) {
    try {
      records.push(
        ...(await benchTfjsKernels(
          peer,
          cases.filter((c) => ['conv3x3', 'relu', 'maxpool', 'gram'].includes(c.op)),
          size,
          runs,
          log,
        )),
      );
    } catch (err) {
      log(`  ${peer} skipped: ${(err as Error).message}`);
    }
  }
  if (ctx.profiler.supported) output.push(...(await stepShares(size)));
}

output.push(...(await styleSteps()));
output.push(...records);
console.log(
  table(
    records,
    adapter,
    peers.filter((p) => p !== 'pytorch'),
  ),
);
const steps = output.filter((r): r is StepRecord => 'kind' in r && r.kind === 'style-step');
for (const s of steps) {
  const ours = steps.find((o) => o.impl === 'wgpu-style' && o.size === s.size)?.secondsPerStep;
  const ratio = s.impl !== 'wgpu-style' && ours && s.secondsPerStep ? ` (${(s.secondsPerStep / ours).toFixed(2)}× ours)` : '';
  console.log(
    `style step ${s.impl} ${s.size}: ${s.secondsPerStep === null ? s.note : `${s.secondsPerStep.toFixed(3)} s/step${ratio}`}${s.peakBytes ? `, GPU memory ${mib(s.peakLiveBytes)} MiB live at most (${mib(s.peakBytes)} MiB allocated)` : ''}`,
  );
}
const shares = output.filter((r): r is ShareRecord => 'kind' in r && r.kind === 'step-share');
for (const s of shares.slice(0, 6))
  console.log(`share of a ${s.size} px step: ${s.kernel} ${(s.share * 100).toFixed(1)}% (${s.ms.toFixed(1)} ms)`);
const files = writeOutputs(values.out!, output);
console.log(`wrote ${files.json} and ${files.html}`);
ctx.destroy();
process.exit(0);

/** Each kernel's share of one full style step's GPU time. */
async function stepShares(size: number): Promise<ShareRecord[]> {
  const timings = await profileStyleStep(ctx, size);
  const total = timings.reduce((a, t) => a + t.ms, 0);
  const byKernel = new Map<string, number>();
  for (const t of timings) {
    const name = t.label.split('(')[0]!;
    byKernel.set(name, (byKernel.get(name) ?? 0) + t.ms);
  }
  return [...byKernel].sort((a, b) => b[1] - a[1]).map(([kernel, ms]) => ({ kind: 'step-share', size, kernel, ms, share: ms / total }));
}

/** Seconds per style step for us and each peer; a size is skipped once the last took > max/4. */
async function styleSteps(): Promise<StepRecord[]> {
  const out: StepRecord[] = [];
  const impls: Array<StepRecord['impl']> = ['wgpu-style', ...(peers as Array<StepRecord['impl']>)];
  const torch = peers.includes('pytorch') ? pytorchSteps() : null;
  for (const impl of impls) {
    let last: number | null = null;
    for (const size of stepSizes) {
      if (last !== null && last * 4 > maxStepSeconds) {
        out.push({
          kind: 'style-step',
          impl,
          size,
          secondsPerStep: null,
          peakBytes: null,
          note: `skipped: about ${(last * 4).toFixed(0)} s per step expected (limit ${maxStepSeconds} s)`,
        });
        continue;
      }
      try {
        if (impl === 'wgpu-style') {
          const [h, w] = parseStepSize(size);
          await autotuneConv(ctx, convShapesForStep(h, w, 28)); // as the CLI does before a job
          const { secondsPerStep, peakBytes, peakLiveBytes } = await timeStyleStep(ctx, [h, w], quick ? 1 : 3);
          last = secondsPerStep;
          out.push({ kind: 'style-step', impl, size, secondsPerStep, peakBytes, peakLiveBytes, note: null });
        } else if (impl === 'pytorch') {
          if (typeof torch === 'string') {
            out.push({ kind: 'style-step', impl, size, secondsPerStep: null, peakBytes: null, note: torch });
            break;
          }
          last = torch?.[String(size)] ?? null;
          out.push({ kind: 'style-step', impl, size, secondsPerStep: last, peakBytes: null, note: null });
        } else {
          last = await timeTfjsStyleStep(impl, parseStepSize(size), quick ? 1 : 2);
          out.push({ kind: 'style-step', impl, size, secondsPerStep: last, peakBytes: null, note: null });
        }
        log(`style step ${impl} ${size}: ${last?.toFixed(3)} s`);
      } catch (err) {
        out.push({ kind: 'style-step', impl, size, secondsPerStep: null, peakBytes: null, note: `failed: ${(err as Error).message}` });
        break;
      }
    }
  }
  return out;
}

/** PyTorch CPU seconds per step by size, or why it was skipped. */
function pytorchSteps(): Record<string, number> | string {
  const probe = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'skipped: no python3 with torch (pip install torch, or on Debian apt-get install python3-torch)';
  const sizes = stepSizes.filter((s) => Math.max(...parseStepSize(s)) <= 512).join(',');
  const run = spawnSync('python3', [join('bench', 'pytorch_step.py'), sizes, quick ? '1' : '3'], {
    encoding: 'utf8',
    timeout: 30 * 60_000,
  });
  if (run.status !== 0) return `failed: ${run.stderr.trim().split('\n').at(-1)}`;
  return (JSON.parse(run.stdout) as { steps: Record<string, number> }).steps;
}
