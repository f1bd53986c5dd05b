// Adam against L-BFGS on docs/weights.md's real-weights problem: blocks 1–3 of Keras's VGG-19,
// tubingen × starry_night, content at conv3_4 (weight 0.1), style at conv1_1, conv2_1, conv3_1, one
// scale. Records the total loss of every evaluation and the seconds per evaluation of each
// optimiser; with python3 and torch, runs torch.optim.LBFGS on the very same problem (the same
// resized images, weights and loss: bench/pytorch_lbfgs.py) for the same evaluations.
//   node bin/wgpu-style.js weights convert ../shared/weights/vgg19-keras-tfjs/model.json -o /tmp/blocks1-3.bin --up-to pool3
//   npx tsx bench/optimizers.ts --weights /tmp/blocks1-3.bin [--size 128] [--evaluations 200] [--histories 5,10,20,50,100]
//   npx tsx bench/optimizers.ts --timing 40 --repeat 3   # seconds per evaluation only: short runs, interleaved, the fastest kept
// Writes bench/results/optimizers.json, optimizers.svg (loss against evaluations) and
// optimizers.png (the results side by side, also each one to /tmp/optimizers-<run>.png).

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeAdapter } from '../src/gpu/index.js';
import { createNodeContext } from '../src/node/gpu.js';
import { writeImage } from '../src/node/image-files.js';
import { stylize, type StylizeOptions } from '../src/node/stylize.js';
import type { RgbaImage } from '../src/style/image-tensor.js';
import { DEFAULT_SETTINGS } from '../src/plan/settings.js';
import { exportProblem, lossPlot, sideBySide, type Series } from './optimizers-report.js';
import { BLOCKS_1_3_LOSS, PROBLEM_FILE_OPTIONS, readProblem } from './real-problem.js';

const { values } = parseArgs({
  options: {
    ...PROBLEM_FILE_OPTIONS,
    size: { type: 'string', default: '128' },
    evaluations: { type: 'string', default: '200' },
    histories: { type: 'string' },
    'tv-weight': { type: 'string' },
    out: { type: 'string', default: 'bench/results' },
    timing: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    'no-torch': { type: 'boolean' },
  },
});
const size = Number(values.size);
const evaluations = Number(values.timing ?? values.evaluations);
const PROBLEM = {
  size,
  scales: 1,
  ...BLOCKS_1_3_LOSS,
  tvWeight: Number(values['tv-weight'] ?? DEFAULT_SETTINGS.tvWeight),
} satisfies Partial<StylizeOptions>;

interface Run {
  name: string;
  settings: Partial<StylizeOptions>;
}

const runs: Run[] = values.histories
  ? values.histories.split(',').flatMap((m) =>
      (['none', 'strong-wolfe'] as const).map((lineSearch) => ({
        name: `lbfgs-m${m}${lineSearch === 'none' ? '' : '-wolfe'}`,
        settings: { optimizer: 'lbfgs', lbfgsHistory: Number(m), lineSearch },
      })),
    )
  : [
      { name: 'adam-lr0.01', settings: { optimizer: 'adam', lr: 0.01 } },
      { name: 'adam-lr0.05', settings: { optimizer: 'adam', lr: 0.05 } },
      { name: 'lbfgs', settings: { optimizer: 'lbfgs', lineSearch: 'none' } },
      { name: 'lbfgs-wolfe', settings: { optimizer: 'lbfgs', lineSearch: 'strong-wolfe' } },
    ];

const ctx = await createNodeContext();
const adapter = describeAdapter(ctx.adapter);
console.log(`adapter: ${adapter}; ${size} px, ${evaluations} evaluations`);
const { weights, content, style } = await readProblem(values);
mkdirSync(values.out, { recursive: true });

const series: Series[] = [];
const images: Array<[string, RgbaImage]> = [];
if (values.timing) {
  await timing();
  process.exit(0);
}
for (const run of runs) {
  const { losses, perEvaluation, result } = await runOne(run);
  series.push({ name: run.name, losses, secondsPerEvaluation: perEvaluation, source: 'wgpu-style' });
  images.push([run.name, result.image]);
  writeImage(`/tmp/optimizers-${run.name}.png`, result.image);
  console.log(`${run.name}: ${row(losses)}, ${perEvaluation.toFixed(3)} s/evaluation${result.stopped ? ` (${result.message})` : ''}`);
}

if (!values['no-torch'] && !values.histories) series.push(...(await torchSeries()));

const checkpoints = [50, 100, 200].filter((k) => k <= evaluations);
const table = series.map((s) => ({
  run: `${s.name} (${s.source})`,
  ...Object.fromEntries(checkpoints.map((k) => [`best of ${k}`, lowest(s.losses, k)])),
  'first loss': s.losses[0],
  's/evaluation': s.secondsPerEvaluation,
}));
console.table(table);
const base = values.histories ? 'optimizers-histories' : 'optimizers';
writeFileSync(join(values.out, `${base}.json`), JSON.stringify({ adapter, size, evaluations, problem: PROBLEM, series }, null, 1));
writeFileSync(join(values.out, `${base}.svg`), lossPlot(series, `Total loss, ${size} px, tubingen × starry_night (blocks 1–3)`));
writeImage(join(values.out, `${base}.png`), sideBySide(images.map(([, image]) => image)));
console.log(`wrote ${join(values.out, `${base}.json`)}, .svg and .png (${images.map(([name]) => name).join(', ')}, left to right)`);
ctx.destroy();

/** One run of the problem: the loss of each evaluation, seconds per evaluation, the result. */
async function runOne(run: Run) {
  const losses: number[] = [];
  const seconds: number[] = [];
  const result = await stylize({
    ...PROBLEM,
    ...run.settings,
    content,
    styles: [style],
    weights,
    context: ctx,
    steps: evaluations,
    printEvery: 1,
    onProgress: (p) => {
      losses.push(p.total);
      seconds.push(p.seconds);
    },
    log: (m) => console.log(`  ${m}`),
  });
  // Seconds per evaluation after the first (which also pays for pipelines and autotuning).
  return { losses, perEvaluation: (seconds.at(-1)! - seconds[0]!) / (seconds.length - 1), result };
}

/** Seconds per evaluation of each run: the fastest of --repeat rounds of short runs taken in turn (others' load comes and goes). */
async function timing(): Promise<void> {
  const fastest = new Map<string, number>();
  for (let round = 0; round < Number(values.repeat); round++) {
    for (const run of runs) {
      const { perEvaluation } = await runOne(run);
      fastest.set(run.name, Math.min(fastest.get(run.name) ?? Infinity, perEvaluation));
    }
  }
  console.table([...fastest].map(([run, seconds]) => ({ run, 's/evaluation': seconds })));
}

/** The lowest total loss among the first k evaluations (what a run of k steps keeps, for L-BFGS). */
function lowest(losses: number[], k: number): number {
  return Math.min(...losses.slice(0, k));
}

function row(losses: number[]): string {
  return [50, 100, 200]
    .filter((k) => k <= losses.length)
    .map((k) => `best of ${k}: ${lowest(losses, k).toPrecision(4)}`)
    .join(', ');
}

/** torch.optim.LBFGS (and Adam) on the exported problem, or nothing (with a message) without torch. */
async function torchSeries(): Promise<Series[]> {
  try {
    execFileSync('python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    console.log('skipping the PyTorch runs: python3 has no torch');
    return [];
  }
  const problem = await exportProblem(ctx, weights, content, style, PROBLEM, values.out);
  const output = execFileSync('python3', ['bench/pytorch_lbfgs.py', problem, String(evaluations), '20'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });
  const runs = JSON.parse(output) as Array<{ name: string; losses: number[]; secondsPerEvaluation: number }>;
  return runs.map((r) => ({ ...r, source: 'torch' }));
}
