// Times full style steps and, with --profile, lists the GPU time of each kernel in one step.
//   npx tsx bench/step.ts [--size 128 | --size 100x200] [--steps 10] [--profile] [--autotune [--autotune-whole]] [--no-fuse] [--checkpoint] [--max-memory <MiB>]
//     [--binding-cap <MiB>]
// --autotune-whole times every conv at its whole shape, not its first rows (AUTOTUNE_PROXY_BYTES).
// --checkpoint recomputes each VGG block's activations in the backward (what the job's --max-memory
// turns on where a scale needs it); --max-memory holds the pool (live + spare buffers) to a budget;
// the line also gives the memory plan's prediction for the step. --binding-cap pretends the adapter
// binds at most that much (GpuContext.capBinding): what running band by band costs, at sizes that fit.
// (100x200 is height × width: the shape of the PyTorch seed's step.)

import { parseArgs } from 'node:util';
import { describeAdapter } from '../src/gpu/index.js';
import { autotuneConv, tuningFor } from '../src/kernels/index.js';
import { createNodeContext } from '../src/node/gpu.js';
import { convShapesForStep } from '../src/vgg/index.js';
import { parseStepSize, profileStyleStep, stepPeakBytes, timeStyleStep } from './style-step.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '128' },
    steps: { type: 'string', default: '10' },
    profile: { type: 'boolean' },
    autotune: { type: 'boolean' },
    'autotune-whole': { type: 'boolean' },
    'no-fuse': { type: 'boolean' },
    checkpoint: { type: 'boolean' },
    'max-memory': { type: 'string' },
    'binding-cap': { type: 'string' },
  },
});
const size = parseStepSize(values.size);
const [height, width] = size;
const sizeText = `${height}×${width}`;
const ctx = await createNodeContext();
console.log(`adapter: ${describeAdapter(ctx.adapter)}`);
if (values['binding-cap']) ctx.capBinding(Number(values['binding-cap']) * 2 ** 20);
if (values.autotune) {
  tuningFor(ctx).clear();
  const started = performance.now();
  const proxyBytes = values['autotune-whole'] ? Infinity : undefined;
  const results = await autotuneConv(ctx, convShapesForStep(height, width, 28), { proxyBytes });
  console.log(`autotuned ${results.length} conv shapes in ${((performance.now() - started) / 1000).toFixed(1)} s:`);
  for (const r of results)
    console.log(
      `  ${r.key}: ${r.chosen}  (${Object.entries(r.ms)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ')} ms)`,
    );
}
if (values.profile && ctx.profiler.supported) {
  const timings = await profileStyleStep(ctx, size);
  const total = timings.reduce((a, t) => a + t.ms, 0);
  console.log(`one step at ${sizeText}: ${timings.length} dispatches, ${total.toFixed(1)} ms of GPU time; slowest:`);
  for (const t of [...timings].sort((a, b) => b.ms - a.ms).slice(0, 15)) console.log(`${t.ms.toFixed(2).padStart(9)} ms  ${t.label}`);
  const byKernel = new Map<string, number>();
  for (const t of timings) {
    const name = t.label.replace(/\(.*$/, '');
    byKernel.set(name, (byKernel.get(name) ?? 0) + t.ms);
  }
  console.log('by kernel:');
  for (const [name, ms] of [...byKernel].sort((a, b) => b[1] - a[1]))
    console.log(`${ms.toFixed(1).padStart(9)} ms  ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${name}`);
}
const recompute = values.checkpoint ?? false;
// As the job does: the pool destroys spare buffers before live + pooled would pass the budget.
if (values['max-memory']) ctx.limitMemory(Number(values['max-memory']) * 2 ** 20);
const { secondsPerStep, recordMs, peakBytes, peakLiveBytes } = await timeStyleStep(ctx, size, Number(values.steps), {
  fuseRelu: !values['no-fuse'],
  recompute,
});
// The plan's figure for this step: weights, the three images and Adam's moments, one evaluation.
const predicted = values['no-fuse'] ? null : stepPeakBytes(height, width, recompute, ctx.subgroupsOf8);
console.log(
  `${values.steps} steps at ${sizeText} (VGG-19 0..28, seed loss${recompute ? ', checkpointing' : ''}): ${secondsPerStep.toFixed(3)} s/step ` +
    `(recording ${recordMs.toFixed(1)} ms of it on the main thread); ` +
    `GPU memory: ${(peakLiveBytes / 2 ** 20).toFixed(1)} MiB live at most${predicted ? ` (planned ${(predicted / 2 ** 20).toFixed(1)})` : ''}, ` +
    `${(peakBytes / 2 ** 20).toFixed(1)} MiB allocated at most`,
);
ctx.destroy();
process.exit(0);
