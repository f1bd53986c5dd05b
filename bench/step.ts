// Times full style steps and, with --profile, lists the GPU time of each kernel in one step.
//   npx tsx bench/step.ts [--size 128 | --size 100x200] [--steps 10] [--profile] [--autotune]
// (100x200 is height × width: the shape of the PyTorch seed's step.)

import { parseArgs } from 'node:util';
import { describeAdapter } from '../src/gpu/index.js';
import { autotuneConv } from '../src/kernels/index.js';
import { createNodeContext } from '../src/node/gpu.js';
import { convShapesForStep } from '../src/vgg/index.js';
import { profileStyleStep, timeStyleStep } from './style-step.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '128' }, steps: { type: 'string', default: '10' }, profile: { type: 'boolean' }, autotune: { type: 'boolean' } } });
const match = /^(\d+)(?:x(\d+))?$/.exec(values.size);
if (!match) throw new Error(`--size must be N or HxW (e.g. 128 or 100x200), got "${values.size}"`);
const [height, width] = [Number(match[1]), Number(match[2] ?? match[1])];
const size: [number, number] = [height, width];
const sizeText = `${height}×${width}`;
const ctx = await createNodeContext();
console.log(`adapter: ${describeAdapter(ctx.adapter)}`);
if (values.autotune) {
  ctx.tuning.clear();
  const started = performance.now();
  const results = await autotuneConv(ctx, convShapesForStep(height, width, 28));
  console.log(`autotuned ${results.length} conv shapes in ${((performance.now() - started) / 1000).toFixed(1)} s:`);
  for (const r of results) console.log(`  ${r.key}: ${r.chosen}  (${Object.entries(r.ms).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')} ms)`);
}
if (values.profile && ctx.profiler.supported) {
  const timings = await profileStyleStep(ctx, size);
  const total = timings.reduce((a, t) => a + t.ms, 0);
  console.log(`one step at ${sizeText}: ${timings.length} dispatches, ${total.toFixed(1)} ms of GPU time; slowest:`);
  for (const t of [...timings].sort((a, b) => b.ms - a.ms).slice(0, 15)) console.log(`${t.ms.toFixed(2).padStart(9)} ms  ${t.label}`);
}
const { secondsPerStep, peakBytes } = await timeStyleStep(ctx, size, Number(values.steps));
console.log(`${values.steps} steps at ${sizeText} (VGG-19 0..28, seed loss): ${secondsPerStep.toFixed(3)} s/step; pool peak ${(peakBytes / 2 ** 20).toFixed(1)} MiB`);
ctx.destroy();
process.exit(0);
