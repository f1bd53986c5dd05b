// Spatial control and the averaged image on the real weights (issue 26 items 1 and 4; docs/spatial-control.md).
// The problem is bench/style_losses.ts's (blocks 1–3 of Keras's VGG-19, content at conv3_4, style at
// conv1_1, conv2_1, conv3_1, one scale, Adam) with two styles painting two regions of one photo:
//   1. tubingen with starry_night left and the_scream right (soft masks crossing over the middle
//      fifth), its picture, and each region's style loss against each style (the loss in each region);
//   (cost: seconds per step of the two styles blended and masked, in one process;)
//   2. one style, --average 0 / 0.9 / 0.99 at equal steps: the output's loss and its total variation
//      (each output evaluated by a one-step run that starts from it: its step 1 reports the loss there).
//   npx tsx bench/spatial_control.ts --weights /tmp/blocks1-3.bin [--size 256] [--steps 100] [--part masks,average]
// Writes bench/results/spatial_control.json, the masks (spatial-mask-{left,right}.png) and
// docs/spatial-control-256.jpg (content, the left mask, starry_night, the result, the_scream, the blend without masks).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { GpuContext } from '../src/gpu/index.js';
import { readImage, writeImage } from '../src/node/image-files.js';
import { stylize, type StylizeOptions } from '../src/node/stylize.js';
import { readWeightsFile } from '../src/node/weights-files.js';
import { downloadImage, uploadImage, type RgbaImage } from '../src/style/image-tensor.js';
import { sideBySide } from './optimizers-report.js';
import { adamProblem, benchContext, PROBLEM_FILE_OPTIONS } from './real-problem.js';

const { values } = parseArgs({
  options: {
    weights: PROBLEM_FILE_OPTIONS.weights,
    images: { type: 'string', default: '../shared/images' },
    size: { type: 'string', default: '256' },
    steps: { type: 'string', default: '100' },
    part: { type: 'string', default: 'masks,average' },
    out: { type: 'string', default: 'bench/results' },
  },
});
const [size, steps, parts] = [Number(values.size), Number(values.steps), values.part.split(',')];
const PROBLEM = { ...adamProblem(size), autotune: false } satisfies Partial<StylizeOptions>;

const { ctx, machine } = await benchContext();
console.log(`${machine}; ${size} px, ${steps} steps`);
const weights = await readWeightsFile(values.weights);
const image = (name: string) => readImage(join(values.images, name));
const [content, starry, scream] = [image('tubingen.jpg'), image('starry_night.jpg'), image('the_scream.jpg')];
mkdirSync(values.out, { recursive: true });
const base = { ...PROBLEM, content, weights, context: ctx, steps };
const report: Record<string, unknown> = { machine, size, steps, problem: PROBLEM };

/** The loss terms at `at` (a one-step run from it reports its step 1 before moving). */
async function lossAt(at: RgbaImage, settings: Partial<StylizeOptions> & Pick<StylizeOptions, 'styles'>) {
  let first: { style: number | null; content: number | null; tv: number | null; total: number } | null = null;
  await stylize({ ...base, ...settings, init: at, steps: 1, printEvery: 1, onProgress: (p) => (first ??= p) });
  return { style: first!.style, content: first!.content, tv: first!.tv, total: first!.total };
}

/** White on the left fading to black across the middle fifth (soft masks blend); `flip` for the right. */
function sideMask(width: number, height: number, flip: boolean): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  for (let x = 0; x < width; x++) {
    const t = Math.min(1, Math.max(0, (x / width - 0.4) / 0.2));
    const v = Math.round(255 * (flip ? t : 1 - t));
    for (let y = 0; y < height; y++) data.set([v, v, v, 255], (y * width + x) * 4);
  }
  return { width, height, data };
}

/** An image shrunk on the device to `height` rows (the aspect kept), for the picture. */
async function thumbnail(c: GpuContext, im: RgbaImage, height: number): Promise<RgbaImage> {
  const t = uploadImage(c, im, 'thumbnail', { width: Math.round((im.width * height) / im.height), height });
  const out = await downloadImage(t);
  t.release();
  return out;
}

if (parts.includes('masks')) {
  const masks = [sideMask(content.width, content.height, false), sideMask(content.width, content.height, true)];
  masks.forEach((m, i) => writeImage(join(values.out, `spatial-mask-${i ? 'right' : 'left'}.png`), m));
  const started = performance.now();
  const result = await stylize({ ...base, styles: [starry, scream], styleMasks: masks, printEvery: steps });
  const seconds = (performance.now() - started) / 1000;
  writeImage(join(values.out, 'spatial-control.png'), result.image);
  // Each region's style loss against each style: its own should be the lower.
  const regions: Record<string, Record<string, number | null>> = {};
  for (const [i, region] of ['left (starry_night)', 'right (the_scream)'].entries()) {
    regions[region] = {};
    for (const [name, style] of Object.entries({ starry_night: starry, the_scream: scream })) {
      regions[region]![name] = (await lossAt(result.image, { styles: [style], styleMasks: [masks[i]!] })).style;
    }
  }
  const plain = await stylize({ ...base, styles: [starry, scream], printEvery: steps });
  report.masks = { seconds, regions, history: result.history.map((p) => ({ step: p.step, style: p.style, total: p.total })) };
  console.log(`masked run: ${seconds.toFixed(1)} s`);
  console.table(regions);
  const h = result.image.height;
  const thumbs = await Promise.all([content, ...masks, starry, scream].map((im) => thumbnail(ctx, im, h)));
  writeImage('docs/spatial-control-256.jpg', sideBySide([thumbs[0]!, thumbs[1]!, thumbs[3]!, result.image, thumbs[4]!, plain.image]));
}

if (parts.includes('cost')) {
  // Seconds per step with and without the masks, in one process (steps 2…n: the first compiles).
  const masks = [sideMask(content.width, content.height, false), sideMask(content.width, content.height, true)];
  const rows: Record<string, { secondsPerStep: number }> = {};
  for (const [name, extra] of Object.entries({ blended: {}, masked: { styleMasks: masks } })) {
    const seconds: number[] = [];
    await stylize({ ...base, styles: [starry, scream], ...extra, printEvery: 1, onProgress: (p) => seconds.push(p.seconds) });
    rows[name] = { secondsPerStep: (seconds.at(-1)! - seconds[0]!) / (seconds.length - 1) };
  }
  report.cost = rows;
  console.table(rows);
}

if (parts.includes('average')) {
  const rows: Record<string, { seconds: number; total: number; style: number | null; content: number | null; tv: number | null }> = {};
  for (const average of [0, 0.9, 0.99]) {
    const started = performance.now();
    const result = await stylize({ ...base, styles: [starry], average, printEvery: steps });
    const seconds = (performance.now() - started) / 1000;
    writeImage(join(values.out, `average-${average}.png`), result.image);
    // The output's own loss, and its TV (tvWeight 1: the reported tv term is the image's TV).
    const at = await lossAt(result.image, { styles: [starry], tvWeight: 1 });
    rows[`--average ${average}`] = { seconds, ...at };
  }
  report.average = rows;
  console.table(rows);
}
writeFileSync(join(values.out, 'spatial_control.json'), JSON.stringify(report, null, 1));
ctx.destroy();
