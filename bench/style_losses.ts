// The style statistics side by side (issue 26): named configurations of the same problem (docs/weights.md's
// real-weights one: blocks 1–3 of Keras's VGG-19, tubingen × starry_night, content at conv3_4, style at
// conv1_1, conv2_1, conv3_1, one scale, Adam), each run for the same steps at the same size. Prints the
// seconds per step and the loss curve (total, content and style terms) of each, the machine named.
//   node bin/wgpu-style.js weights convert ../shared/weights/vgg19-keras-tfjs/model.json -o /tmp/blocks1-3.bin --up-to pool3
//   npx tsx bench/style_losses.ts --weights /tmp/blocks1-3.bin [--size 256] [--steps 100] [--only gram,w2]
// Writes bench/results/style_losses.json, style_losses.svg (each run's total loss over its first,
// against steps) and style_losses.png (the results side by side, in the order of CONFIGS; each
// also alone, style_losses-<name>.png, in the same folder).
// A part that adds a loss term adds its rows to CONFIGS (a name and the settings it changes).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeImage } from '../src/node/image-files.js';
import { stylize, type StylizeOptions } from '../src/node/stylize.js';
import type { RgbaImage } from '../src/style/image-tensor.js';
import { lossPlot, sideBySide, type Series } from './optimizers-report.js';
import { adamProblem, benchContext, PROBLEM_FILE_OPTIONS, readProblem } from './real-problem.js';

interface Config {
  name: string;
  settings: Partial<StylizeOptions>;
}

/** The rows: the baseline first (the others' seconds per step are compared with it). */
export const CONFIGS: Config[] = [
  { name: 'gram', settings: { styleLoss: 'gram' } },
  // crowsonkb's layer weights 256:64:16:4:1, first three (conv1_1..conv3_1); style weight: docs/style-losses.md.
  { name: 'w2', settings: { styleLoss: 'w2' } },
  { name: 'mean-std', settings: { styleLoss: 'mean-std' } },
  // Risser's histogram term on the blocks 1–3 layers of its default (conv4_1 is not in these weights): docs/histogram-and-colour.md.
  { name: 'gram+histogram', settings: { histogramWeight: 1, histogramLayers: ['conv1_1', 'conv3_1'] } },
  { name: 'colour-style', settings: { colorTransfer: 'style' } },
  { name: 'colour-content', settings: { colorTransfer: 'content' } },
];

const { values } = parseArgs({
  options: {
    ...PROBLEM_FILE_OPTIONS,
    size: { type: 'string', default: '256' },
    steps: { type: 'string', default: '100' },
    only: { type: 'string' },
    out: { type: 'string', default: 'bench/results' },
  },
});
const size = Number(values.size);
const steps = Number(values.steps);
const PROBLEM = adamProblem(size);

const only = values.only?.split(',');
const configs = CONFIGS.filter((c) => !only || only.includes(c.name));
const { ctx, machine } = await benchContext();
console.log(`${machine}; ${size} px, ${steps} steps`);
const { weights, content, style } = await readProblem(values);
mkdirSync(values.out, { recursive: true });

const results: Array<{ name: string; settings: Partial<StylizeOptions>; secondsPerStep: number; curve: Curve }> = [];
const images: RgbaImage[] = [];
for (const config of configs) {
  const { curve, secondsPerStep, image } = await runOne(config);
  results.push({ name: config.name, settings: config.settings, secondsPerStep, curve });
  images.push(image);
  writeImage(join(values.out, `style_losses-${config.name}.png`), image);
  const last = curve.at(-1)!;
  console.log(
    `${config.name}: ${secondsPerStep.toFixed(3)} s/step; total ${curve[0]!.total.toPrecision(4)} → ${last.total.toPrecision(4)}`,
  );
}

const base = results[0]?.secondsPerStep ?? NaN;
console.table(
  results.map((r) => {
    const [first, last] = [r.curve[0]!, r.curve.at(-1)!];
    return {
      run: r.name,
      's/step': Number(r.secondsPerStep.toFixed(3)),
      [`× ${results[0]?.name}`]: Number((r.secondsPerStep / base).toFixed(2)),
      'style first': first.style,
      'style last': last.style,
      'content last': last.content,
      'total last': last.total,
    };
  }),
);
const series: Series[] = results.map((r) => ({
  name: r.name,
  source: 'wgpu-style',
  losses: r.curve.map((p) => p.total / r.curve[0]!.total),
  secondsPerEvaluation: r.secondsPerStep,
}));
writeFileSync(join(values.out, 'style_losses.json'), JSON.stringify({ machine, size, steps, problem: PROBLEM, results }, null, 1));
writeFileSync(
  join(values.out, 'style_losses.svg'),
  lossPlot(series, `Total loss / first, ${size} px, tubingen × starry_night (blocks 1–3)`),
);
writeImage(join(values.out, 'style_losses.png'), sideBySide(images));
console.log(`wrote ${join(values.out, 'style_losses.json')}, .svg and .png (${configs.map((c) => c.name).join(', ')}, left to right)`);
ctx.destroy();

type Curve = Array<{ step: number; total: number; content: number | null; style: number | null; histogram: number | null }>;

/** One configuration: its loss at every step, the seconds per step after the first (pipelines, tuning), the image. */
async function runOne(config: Config): Promise<{ curve: Curve; secondsPerStep: number; image: RgbaImage }> {
  const curve: Curve = [];
  const seconds: number[] = [];
  const result = await stylize({
    ...PROBLEM,
    ...config.settings,
    content,
    styles: [style],
    weights,
    context: ctx,
    steps,
    printEvery: 1,
    onProgress: (p) => {
      curve.push({ step: p.step, total: p.total, content: p.content, style: p.style, histogram: p.histogram });
      seconds.push(p.seconds);
    },
    log: (m) => console.log(`  ${m}`),
  });
  return { curve, secondsPerStep: (seconds.at(-1)! - seconds[0]!) / Math.max(1, seconds.length - 1), image: result.image };
}
