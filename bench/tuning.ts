// What the autotuner's cuts cost and save (src/kernels/autotune-rules.ts).
//   npx tsx bench/tuning.ts cost [--old] [--sizes 48x64,96x128] [--depth 16]
//     Tunes a step's conv shapes at each size (height×width) from an empty record, as a first run of
//     the README's quick start does: --old as before the cuts (the fastest of 1+3 runs per variant,
//     nothing reused or pruned). Prints the seconds and the variants timed. Run each mode in its own
//     process: pipelines compiled by one would speed the other.
//   npx tsx bench/tuning.ts reuse [--width 128] [--heights 96,72] [--depth 28] [--runs 5]
//     Tunes every variant at each height, then for each conv whose choice the reuse rule would take
//     from another height, times that choice against the height's own (the fastest of --runs, the two
//     interleaved) and prints the ratio: what a reused choice costs.

import { parseArgs } from 'node:util';
import { describeAdapter, measureGpuMs } from '../src/gpu/index.js';
import { reusableChoice } from '../src/kernels/autotune-rules.js';
import { AUTOTUNE_PROXY_BYTES, autotuneConv, type TuneResult } from '../src/kernels/autotune.js';
import { conv3x3Forward, CONV_VARIANTS, releaseWinogradWeights, tuningFor } from '../src/kernels/index.js';
import { createNodeContext } from '../src/node/gpu.js';
import { convShapesForStep } from '../src/vgg/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    old: { type: 'boolean' },
    sizes: { type: 'string', default: '48x64,96x128' },
    depth: { type: 'string' },
    width: { type: 'string', default: '128' },
    heights: { type: 'string', default: '96,72' },
    runs: { type: 'string', default: '5' },
  },
});
const ctx = await createNodeContext();
console.log(`adapter: ${describeAdapter(ctx.adapter)}, timestamps: ${ctx.profiler.supported}`);
const tuning = tuningFor(ctx);
tuning.store = null;
tuning.clear();

if (positionals[0] === 'cost') {
  const depth = Number(values.depth ?? 16);
  let total = 0;
  for (const size of values.sizes.split(',')) {
    const [h, w] = size.split('x').map(Number) as [number, number];
    const started = performance.now();
    const results = await autotuneConv(ctx, convShapesForStep(h, w, depth), values.old ? { runs: 3, exhaustive: true } : {});
    const seconds = (performance.now() - started) / 1000;
    total += seconds;
    const timed = results.reduce((a, r) => a + Object.keys(r.ms).length, 0);
    const reused = results.filter((r) => r.reusedFrom).length;
    const pruned = results.filter((r) => r.pruned).length;
    console.log(
      `${size}: ${results.length} shapes in ${seconds.toFixed(1)} s, ${timed} variant timings, ${reused} reused, ${pruned} pruned`,
    );
    for (const r of results)
      console.log(`  ${r.key} ${r.chosen}${r.reusedFrom ? ' (reused)' : ''}${r.pruned ? ` pruned ${r.pruned.join(',')}` : ''}`);
  }
  console.log(`${values.old ? 'old' : 'new'}: tuning ${total.toFixed(1)} s`);
} else if (positionals[0] === 'reuse') {
  await reuseCost();
} else {
  console.error('give cost or reuse (see the comment at the top)');
  process.exit(2);
}
ctx.destroy();

async function reuseCost(): Promise<void> {
  const width = Number(values.width);
  const depth = Number(values.depth ?? 28);
  const heights = values.heights.split(',').map(Number);
  const byHeight = new Map<number, TuneResult[]>();
  for (const h of heights) {
    tuning.clear();
    byHeight.set(h, await autotuneConv(ctx, convShapesForStep(h, width, depth), { runs: 3, exhaustive: true }));
  }
  const ratios: number[] = [];
  for (const [h, results] of byHeight) {
    const others = Object.fromEntries(heights.filter((o) => o !== h).flatMap((o) => byHeight.get(o)!.map((r) => [r.key, r.chosen])));
    for (const shape of convShapesForStep(h, width, depth)) {
      const own = results.find((r) => r.key.endsWith(`|${shape.shape.join('x')}>${shape.cout}`));
      const reused = reusableChoice(others, shape.shape, shape.cout, AUTOTUNE_PROXY_BYTES);
      if (!own || !reused) continue;
      const ratio = reused.variant === own.chosen ? 1 : await timedRatio(shape.shape, shape.cout, reused.variant, own.chosen);
      ratios.push(ratio);
      console.log(`${own.key}: own ${own.chosen}, reused ${reused.variant} from ${reused.key}: ${ratio.toFixed(3)}×`);
    }
  }
  ratios.sort((a, b) => a - b);
  const median = ratios[Math.floor(ratios.length / 2)] ?? NaN;
  console.log(`${ratios.length} reused choices: median ${median.toFixed(3)}×, worst ${ratios.at(-1)?.toFixed(3)}× the height's own choice`);
}

/** GPU ms of variant a over variant b on one conv, the fastest of --runs each, interleaved. */
async function timedRatio(shape: readonly number[], cout: number, a: string, b: string): Promise<number> {
  const x = ctx.zeros([...shape], 'x');
  const w = ctx.zeros([cout, shape[1]!, 3, 3], 'w');
  const best = { [a]: Infinity, [b]: Infinity };
  for (let i = 0; i < Number(values.runs); i++) {
    for (const name of [a, b]) {
      const variant = CONV_VARIANTS.find((v) => v.name === name)!;
      const [ms] = await measureGpuMs(ctx, () => [conv3x3Forward(ctx, x, w, undefined, { variant })], 1, i === 0 ? 1 : 0);
      best[name] = Math.min(best[name]!, ms!);
    }
  }
  releaseWinogradWeights(ctx, w);
  x.release();
  w.release();
  return best[a]! / best[b]!;
}
