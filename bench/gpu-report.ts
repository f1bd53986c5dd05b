// The real-GPU report (issue 13, part 3): the adapter and its limits, the autotuner's choices, every
// conv3x3 variant per VGG-19 layer (forward and input gradient) and full style steps with their
// peak memory, as one JSON and a short markdown table in --out. Robust by design: each measurement
// that fails is recorded and skipped, a time budget stops new work, and the files are rewritten
// after every section (and on SIGTERM/SIGINT), so a run cut short still leaves what it measured.
//   npx tsx bench/gpu-report.ts --out DIR [--quick] [--sizes 256,512] [--step-sizes 100x200,128,256,512,1024]
//                               [--runs 5] [--budget-seconds 420] [--layers 0,2,...]
//                               [--variants REGEX] [--no-autotune]
// (--layers limits the conv timings, and the autotuning before them, to those VGG-19 modules;
// --variants times only the variants whose names match.)
// scripts/gpu-report.sh wraps it for a machine without npm (see there).

import { parseArgs } from 'node:util';
import { describeAdapter, measureGpuMs, type DeviceTensor, type GpuContext } from '../src/gpu/index.js';
import { autotuneConv, convTuningKey, flipConv3x3Weights, tuningFor } from '../src/kernels/index.js';
import { createNodeContext } from '../src/node/gpu.js';
import { convShapesForStep } from '../src/vgg/index.js';
import { writeGpuReport, type GpuReport } from './gpu-report-output.js';
import { checkVariants, variantsToTime } from './gpu-report-variants.js';
import { vggCases } from './shapes.js';
import { parseStepSize, timeStyleStep } from './style-step.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'bench/results/gpu-report' },
    quick: { type: 'boolean' },
    sizes: { type: 'string' },
    'step-sizes': { type: 'string' },
    runs: { type: 'string' },
    'budget-seconds': { type: 'string', default: '420' },
    layers: { type: 'string' },
    variants: { type: 'string' },
    'no-autotune': { type: 'boolean' },
  },
});
const quick = Boolean(values.quick);
const sizes = (values.sizes ?? (quick ? '16' : '256,512')).split(',').map(Number);
const stepSizes = (values['step-sizes'] ?? (quick ? '16' : '100x200,128,256,512,1024')).split(',').filter(Boolean);
const layers = values.layers?.split(',').map(Number);
const variantPattern = new RegExp(values.variants ?? '');
const runs = Number(values.runs ?? (quick ? 1 : 5));
const budgetSeconds = Number(values['budget-seconds']);
const started = performance.now();
const elapsed = () => (performance.now() - started) / 1000;
const log = (s: string) => process.stderr.write(`[${elapsed().toFixed(0).padStart(4)} s] ${s}\n`);

const report: GpuReport = {
  startedAt: new Date().toISOString(),
  argv: process.argv.slice(2),
  adapter: null,
  checks: [],
  autotune: [],
  convs: [],
  steps: [],
  notes: [],
  elapsedSeconds: 0,
};
const save = () => {
  report.elapsedSeconds = elapsed();
  try {
    const files = writeGpuReport(values.out!, report);
    return files;
  } catch (err) {
    log(`could not write the report: ${(err as Error).message}`);
    return null;
  }
};
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    report.notes.push(`stopped by ${signal} after ${elapsed().toFixed(0)} s`);
    save();
    process.exit(1);
  });
}
/** False (and noted once per section) when the time budget is spent. */
const withinBudget = (what: string) => {
  if (elapsed() < budgetSeconds) return true;
  const note = `skipped ${what}: the ${budgetSeconds} s budget was spent`;
  if (!report.notes.includes(note)) report.notes.push(note);
  return false;
};
const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);

const ctx = await createNodeContext({ compute: true });
report.adapter = adapterRecord(ctx);
log(`adapter: ${report.adapter.description}`);
save();
try {
  report.checks = await checkVariants(ctx, variantsToTime(ctx));
  const failed = report.checks.filter((c) => !c.ok).map((c) => c.variant);
  log(
    `checked ${report.checks.length} variants against the float64 oracle: ${failed.length ? `FAILED ${failed.join(', ')}` : 'all correct'}`,
  );
} catch (err) {
  report.notes.push(`the correctness checks failed: ${message(err)}`);
}
save();

tuningFor(ctx).clear(); // measure afresh on this adapter
for (const size of sizes) {
  if (!withinBudget(`kernels at ${size} px`)) break;
  if (!values['no-autotune']) await autotuneSize(size);
  await timeVariants(size);
  save();
}
for (const text of stepSizes) {
  if (!withinBudget(`the ${text} step`)) break;
  await timeStep(text);
  save();
}
const files = save();
if (files) console.log(`wrote ${files.json} and ${files.markdown}`);
ctx.destroy();
process.exit(0);

function adapterRecord(c: GpuContext): NonNullable<GpuReport['adapter']> {
  const limits: Record<string, number> = {};
  for (const key in c.device.limits) {
    const value = (c.device.limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') limits[key] = value;
  }
  const info = c.device.adapterInfo as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return {
    description: describeAdapter(c.adapter),
    summary: c.adapter,
    subgroupMinSize: info?.subgroupMinSize ?? c.adapter.subgroupMinSize,
    subgroupMaxSize: info?.subgroupMaxSize ?? null,
    deviceFeatures: [...c.device.features].sort(),
    limits,
    timestamps: c.profiler.supported,
    variants: variantsToTime(c).map((v) => v.name),
  };
}

async function autotuneSize(size: number): Promise<void> {
  try {
    const cases = convCases(size);
    const shapes = cases.flatMap((c) => {
      const [n, cin, h, w] = c.shape as [number, number, number, number];
      return [
        { shape: [n, cin, h, w] as [number, number, number, number], cout: c.cout! },
        { shape: [n, c.cout!, h, w] as [number, number, number, number], cout: cin },
      ];
    });
    // Whole shapes: their times are the per-layer figures reported.
    const measured = new Map((await autotuneConv(ctx, shapes, { proxyBytes: Infinity, exhaustive: true })).map((r) => [r.key, r.ms]));
    for (const key of new Set(shapes.map((s) => convTuningKey(s.shape, s.cout)))) {
      report.autotune.push({ size, key, chosen: tuningFor(ctx).get(key) ?? null, ms: measured.get(key) ?? null });
    }
    log(`autotuned ${measured.size} shapes at ${size} px`);
  } catch (err) {
    report.notes.push(`autotune at ${size} px failed: ${message(err)}`);
    log(report.notes.at(-1)!);
  }
}

/** The distinct VGG-19 conv shapes at `size` (those of --layers only, when given). */
function convCases(size: number) {
  return vggCases(size).filter((k) => k.op === 'conv3x3' && (!layers || layers.includes(k.layer!)));
}

function random(shape: number[], seed: number): DeviceTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return ctx.upload(
    shape,
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5),
  );
}

/** Every variant on every distinct VGG-19 conv shape at `size`: forward and input gradient. */
async function timeVariants(size: number): Promise<void> {
  const variants = variantsToTime(ctx).filter((v) => variantPattern.test(v.name));
  for (const c of convCases(size)) {
    if (!withinBudget(`the rest of the conv timings at ${size} px`)) return;
    const [n, cin, h, w] = c.shape as [number, number, number, number];
    const cout = c.cout!;
    const flops = 2 * 9 * n * cin * cout * h * w;
    let tensors: DeviceTensor[] = [];
    try {
      const x = random(c.shape, 1);
      const wt = random([cout, cin, 3, 3], 2);
      const b = random([cout], 3);
      const dy = random([n, cout, h, w], 4);
      const flipped = flipConv3x3Weights(ctx, wt);
      tensors = [x, wt, b, dy, flipped];
      for (const v of variants) {
        for (const pass of ['forward', 'input-grad'] as const) {
          if (!withinBudget(`the rest of the conv timings at ${size} px`)) break;
          const record = { size, layer: c.layer!, shape: [n, cin, h, w], cout, pass, variant: v.name };
          try {
            // The input gradient convolves dy [N, Cout, H, W] with the flipped weights into Cin channels.
            const run = pass === 'forward' ? () => [v.conv.forward(x, wt, b)] : () => [v.conv.inputGrad(dy, flipped)];
            const ms = Math.min(...(await measureGpuMs(ctx, run, runs)));
            report.convs.push({ ...record, ms, gflops: flops / (ms * 1e6), error: null });
          } catch (err) {
            report.convs.push({ ...record, ms: null, gflops: null, error: message(err) });
            log(`  ${v.name} ${pass} [${c.shape}]→${cout} failed: ${message(err)}`);
            await ctx.sync().catch(() => undefined); // clear the error so the next variant starts clean
          }
        }
      }
      const best = report.convs.filter((r) => r.size === size && r.layer === c.layer && r.ms !== null);
      log(`  layer ${c.layer} [${c.shape}]→${cout}: ${best.length} timings`);
    } catch (err) {
      report.notes.push(`conv layer ${c.layer} at ${size} px: ${message(err)}`);
    } finally {
      for (const t of tensors) t.release();
    }
  }
}

async function timeStep(text: string): Promise<void> {
  const record = { size: text, secondsPerStep: null, recordMs: null, peakLiveBytes: null, peakBytes: null, error: null };
  try {
    const [h, w] = parseStepSize(text);
    await autotuneConv(ctx, convShapesForStep(h, w, 28)); // as the CLI does before a job
    const t = await timeStyleStep(ctx, [h, w], quick ? 1 : 3);
    const { secondsPerStep, recordMs, peakLiveBytes, peakBytes } = t;
    report.steps.push({ ...record, secondsPerStep, recordMs, peakLiveBytes, peakBytes });
    log(
      `step ${text}: ${secondsPerStep.toFixed(4)} s (recording ${recordMs.toFixed(1)} ms), ${(peakLiveBytes / 2 ** 20).toFixed(0)} MiB live at most`,
    );
  } catch (err) {
    report.steps.push({ ...record, error: message(err) });
    log(`step ${text} failed: ${message(err)}`);
    await ctx.sync().catch(() => undefined);
  }
}
