// Peak resident memory of one style job under --max-memory: does the budget hold for the host memory
// that lavapipe (a software Vulkan driver) spends on the pool's buffers?
//   npx tsx bench/memory-rss.ts --size 1024 --steps 2 --budget 1500 [--content a.jpg --style b.jpg]
// Prints one JSON line: the budget, the plan's needs, the pool's peak and the bytes it destroyed to
// keep under the budget, the run's peak RSS growth (VmHWM, reset with /proc/self/clear_refs just before
// the job, minus the RSS then) and the time. Env: RESET_AT=k resets VmHWM again after step k (the
// steady state, without the first step's pipeline compiles); NOLIMIT=1 plans with the budget but lets
// the pool grow (what exact-size pooling holds unbounded); TRACE=1 logs RSS over time to stderr.
// Synthetic weights (the time and memory do not depend on their values), one scale, no autotuning.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createNodeContext, planJob, readImage, runStyleJob, syntheticWeights } from '../src/index.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '512' },
    steps: { type: 'string', default: '2' },
    budget: { type: 'string' },
    content: { type: 'string', default: 'examples/tubingen.jpg' },
    style: { type: 'string', default: 'examples/starry_night.jpg' },
  },
});
const MiB = 2 ** 20;
const status = (key: string) => Number(readFileSync('/proc/self/status', 'utf8').match(new RegExp(`${key}:\\s+(\\d+)`))![1]) * 1024;

const ctx = await createNodeContext({ compute: true });
const weights = syntheticWeights(1, 28);
if (process.env.NOLIMIT) ctx.limitMemory = () => {};
const content = readImage(values.content!);
const style = readImage(values.style!);
const options = planJob(
  {
    size: Number(values.size),
    scales: 1,
    steps: Number(values.steps),
    autotune: false,
    maxMemory: values.budget ? Number(values.budget) : undefined,
  },
  content.width,
  content.height,
  1,
);
const budgetMiB = options.memory.budgetMiB;
let samplePeak = 0;
const trace: string[] = [];
let last = 0;
const note = (what: string) => {
  const r = Math.round(process.memoryUsage.rss() / MiB),
    h = Math.round(status('VmHWM') / MiB),
    m = ctx.memory();
  trace.push(
    `${(Date.now() / 1000).toFixed(3)} ${what} rss=${r} hwm=${h} pool=${Math.round((m.liveBytes + m.pooledBytes) / MiB)} destroyed=${Math.round(m.destroyedBytes / MiB)}`,
  );
};
(globalThis as any).noteRss = note;
const sampler = setInterval(() => {
  const r = process.memoryUsage.rss();
  samplePeak = Math.max(samplePeak, r);
  if (Math.abs(r - last) > 30 * MiB) {
    last = r;
    note('tick');
  }
}, 5);
await ctx.sync();
writeFileSync('/proc/self/clear_refs', '5'); // VmHWM := VmRSS
const before = status('VmRSS');
const started = performance.now();
const steps: object[] = [];
await runStyleJob(ctx, weights, content, [style], options, {
  onPhase: (p) => note(`phase ${JSON.stringify(p)}`),
  onProgress: (p) => {
    if (p.step === Number(process.env.RESET_AT ?? 0)) writeFileSync('/proc/self/clear_refs', '5');
    steps.push({
      step: p.step,
      seconds: +p.stepSeconds!.toFixed(2),
      rssMiB: Math.round(process.memoryUsage.rss() / MiB),
      hwm: Math.round(status('VmHWM') / MiB),
      created: ctx.memory().created,
      destroyedMiB: Math.round(ctx.memory().destroyedBytes / MiB),
    });
  },
});
await ctx.sync();
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
const pool = ctx.memory();
const result = {
  size: `${options.scales[0]!.width}x${options.scales[0]!.height}`,
  budgetMiB,
  plan: options.memory.scales.map((s) => JSON.stringify(s)),
  poolPeakMiB: +(pool.peakBytes / MiB).toFixed(1),
  poolPeakLiveMiB: +(pool.peakLiveBytes / MiB).toFixed(1),
  rssBeforeMiB: Math.round(before / MiB),
  peakRssMiB: Math.round(status('VmHWM') / MiB),
  growthMiB: Math.round((status('VmHWM') - before) / MiB),
  sampledPeakMiB: Math.round(samplePeak / MiB),
  seconds: +seconds.toFixed(1),
  steps,
};
console.log(JSON.stringify(result));
if (process.env.TRACE) console.error(trace.join('\n'));
ctx.destroy();
