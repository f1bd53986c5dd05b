// Temporal consistency of the video job: a clip with known motion (a camera pan over a real photo
// plus a patch of another photo moving the other way, test/helpers/video-clip.ts) stylised with
// --temporal-weight 0 (independent frames, the baseline) and with several weights. For each: the
// warping error (Lai et al. 2018) over the pixels whose motion is known, the style loss of each frame
// (its last report), seconds per frame after the first and the optical flow's share, GPU memory.
//   npx tsx bench/video_consistency.ts --weights blocks1-3.bin [--size 256] [--frames 8]
//     [--temporal-weights 0,1e2,1e3,1e4] [--steps 100] [--frame-steps 50] [--keep out-folder]
// With the partial Keras weights (blocks 1–3), the layers and weights of docs/weights.md are used.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeAdapter } from '../src/gpu/index.js';
import { createNodeContext } from '../src/node/gpu.js';
import { readImage, writeImage } from '../src/node/image-files.js';
import { stylizeVideo } from '../src/node/video.js';
import { listInputFrames } from '../src/node/video-frames.js';
import { readWeightsFile } from '../src/node/weights-files.js';
import { IMAGES } from '../test/helpers/shared.js';
import { cover, makeClip, warpingError } from '../test/helpers/video-clip.js';
import { BLOCKS_1_3_LOSS, BLOCKS_1_3_LR } from './real-problem.js';

const { values } = parseArgs({
  options: {
    weights: { type: 'string' },
    size: { type: 'string', default: '256' },
    frames: { type: 'string', default: '8' },
    'temporal-weights': { type: 'string', default: '0,1e2,1e3,1e4' },
    steps: { type: 'string', default: '100' },
    'frame-steps': { type: 'string' },
    scales: { type: 'string', default: '1' },
    background: { type: 'string', default: 'tubingen' },
    object: { type: 'string', default: 'golden_gate' },
    style: { type: 'string', default: 'starry_night' },
    pan: { type: 'string', default: '2' },
    speed: { type: 'string', default: '3' },
    keep: { type: 'string' },
  },
});
if (!values.weights) throw new Error('give --weights (such as blocks1-3.bin: see docs/weights.md)');
const size = Number(values.size);
const [W, H] = [size, Math.round((size * 3) / 4)];
const frames = Number(values.frames);
const pan = Number(values.pan);
const speed = Number(values.speed);

// The clip: the background photo covering the pan, the object a quarter of the frame's width from another photo.
const background = cover(readImage(join(IMAGES, `${values.background}.jpg`)), W + pan * (frames - 1), H);
const [ow, oh] = [Math.round(W / 4), Math.round(H / 3)];
const patch = cover(readImage(join(IMAGES, `${values.object}.jpg`)), ow, oh);
const object = { image: patch, x: Math.round(W / 8), y: Math.round(H / 3), speed };
const clip = makeClip(background, { width: W, height: H, frames, pan, object });
const work = values.keep ?? mkdtempSync(join(tmpdir(), 'video-consistency-'));
mkdirSync(join(work, 'clip'), { recursive: true });
clip.frames.forEach((f, i) => writeImage(join(work, 'clip', `${String(i + 1).padStart(4, '0')}.png`), f));

const weights = await readWeightsFile(values.weights);
const partial = !weights.tensors.has('conv4_1.weight');
const loss = partial ? { ...BLOCKS_1_3_LOSS, lr: BLOCKS_1_3_LR } : {};
const ctx = await createNodeContext({ compute: true });
console.log(`adapter: ${describeAdapter(ctx.adapter)}; clip ${W}×${H}, ${frames} frames, pan ${pan} px, object ${speed} px the other way`);

interface Row {
  weight: number;
  warpingError: number;
  style: number;
  firstSeconds: number;
  frameSeconds: number;
  flowShare: number;
  peakMiB: number;
}
const rows: Row[] = [];
for (const weight of values['temporal-weights']!.split(',').map(Number)) {
  const out = join(work, `w${weight}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = await stylizeVideo({
    ...loss,
    input: join(work, 'clip'),
    styles: [join(IMAGES, `${values.style}.jpg`)],
    output: join(out, '%04d.png'),
    weights,
    context: ctx,
    size,
    scales: Number(values.scales),
    steps: Number(values.steps),
    ...(values['frame-steps'] ? { frameSteps: Number(values['frame-steps']) } : {}),
    temporalWeight: weight,
    printEvery: 1000,
  });
  const outputs = listInputFrames(join(out, '%04d.png')).map((p) => readImage(p));
  const later = result.history.filter((p) => p.frame > 1);
  const styleLosses = result.history.map((p) => p.losses.style ?? NaN);
  const row: Row = {
    weight,
    warpingError: warpingError(outputs, clip),
    style: styleLosses.reduce((a, b) => a + b, 0) / styleLosses.length,
    firstSeconds: result.history.find((p) => p.frame === 1)!.frameSeconds,
    frameSeconds: later.reduce((a, p) => a + p.frameSeconds, 0) / later.length,
    flowShare: later.reduce((a, p) => a + p.flowSeconds, 0) / later.reduce((a, p) => a + p.frameSeconds, 0),
    peakMiB: ctx.memory().peakBytes / 2 ** 20,
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}
ctx.destroy();

const base = rows.find((r) => r.weight === 0);
console.log(
  '\n| temporal weight | warping error | vs. independent | style loss (mean per frame) | vs. independent | s/frame (first; later) | flow share |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const vs = (x: number, b: number | undefined) => (b ? `${(x / b).toFixed(2)}×` : '');
  console.log(
    `| ${r.weight} | ${r.warpingError.toExponential(2)} | ${vs(r.warpingError, base?.warpingError)} | ${r.style.toExponential(3)} | ` +
      `${vs(r.style, base?.style)} | ${r.firstSeconds.toFixed(1)}; ${r.frameSeconds.toFixed(1)} | ${(r.flowShare * 100).toFixed(0)} % |`,
  );
}
console.log(`peak GPU memory (pool): ${Math.max(...rows.map((r) => r.peakMiB)).toFixed(0)} MiB; frames in ${work}`);
