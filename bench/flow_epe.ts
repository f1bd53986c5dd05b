// Optical flow accuracy: mean end-point error (EPE) of ours (src/flow, TV-L1 on the device) and of
// OpenCV's DIS preset MEDIUM (bench/dis_flow.py, Debian's /usr/bin/python3 with python3-opencv) on
// pairs made from real photos with known motion (test/helpers/flow-pairs.ts: a subpixel
// translation, a 4 % zoom, a 3° rotation), ignoring a border as wide as the largest displacement
// plus 4 px; plus seconds per flow (ours: recording to read-back, after a warm-up, best of --repeat;
// DIS: calc, best of 3).
//   npx tsx bench/flow_epe.ts [--size 256] [--repeat 3] [--images golden_gate,tubingen,shipwreck] [--no-dis]
//     [--warps N] [--iterations N] [--lambda X] [--theta X] [--huber X] [--smoothing N] [--coarsest N]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeAdapter } from '../src/gpu/index.js';
import { opticalFlow, type FlowOptions } from '../src/flow/index.js';
import { decodeFlo } from '../src/io/flo.js';
import { encodeImage } from '../src/io/image.js';
import { createNodeContext } from '../src/node/gpu.js';
import { readImage } from '../src/node/image-files.js';
import { uploadImage } from '../src/style/image-tensor.js';
import { endPointError, ISSUE_MOTIONS, makePair, photoPicture, type FlowPair } from '../test/helpers/flow-pairs.js';
import { IMAGES } from '../test/helpers/shared.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '256' },
    images: { type: 'string', default: 'golden_gate,tubingen,shipwreck' },
    'no-dis': { type: 'boolean' },
    repeat: { type: 'string', default: '3' },
    warps: { type: 'string' },
    iterations: { type: 'string' },
    lambda: { type: 'string' },
    theta: { type: 'string' },
    coarsest: { type: 'string' },
    huber: { type: 'string' },
    smoothing: { type: 'string' },
  },
});
const size = Number(values.size);
const options: FlowOptions = {};
if (values.warps) options.warps = Number(values.warps);
if (values.iterations) options.iterations = Number(values.iterations);
if (values.lambda) options.lambda = Number(values.lambda);
if (values.theta) options.theta = Number(values.theta);
if (values.coarsest) options.coarsestSide = Number(values.coarsest);
if (values.huber) options.huber = Number(values.huber);
if (values.smoothing) options.smoothing = Number(values.smoothing);

const folder = mkdtempSync(join(tmpdir(), 'flow-epe-'));
const pairs: Array<{ name: string; image: string; motion: string; pair: FlowPair }> = [];
for (const image of values.images!.split(',')) {
  // The photo reduced so the crop (its centre) has room around it: `to` samples outside the crop.
  const photo = photoPicture(readImage(join(IMAGES, `${image}.jpg`)), Math.round(size * 1.25));
  const [left, top] = [Math.floor((photo.width - size) / 2), Math.floor((photo.height - size) / 2)];
  ISSUE_MOTIONS.forEach((motion, m) => {
    const name = `${image}-${m}`;
    const pair = makePair(photo.picture, size, motion, left, top);
    writeFileSync(join(folder, `${name}.from.png`), encodeImage('a.png', pair.from));
    writeFileSync(join(folder, `${name}.to.png`), encodeImage('a.png', pair.to));
    pairs.push({ name, image, motion: motion.name, pair });
  });
}

const dis = new Map<string, number>();
if (!values['no-dis']) {
  const lines = execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'dis_flow.py'), folder], { encoding: 'utf8' });
  for (const line of lines.trim().split('\n')) {
    const { name, seconds } = JSON.parse(line) as { name: string; seconds: number };
    dis.set(name, seconds);
  }
}

const ctx = await createNodeContext();
console.log(`adapter: ${describeAdapter(ctx.adapter)}; ${size}×${size}; options ${JSON.stringify(options)}; pairs in ${folder}`);
console.log('| photo | motion | ours EPE (px) | DIS-medium EPE (px) | ours s | DIS s |');
console.log('|---|---|---|---|---|---|');
const sums = { ours: 0, dis: 0, oursSeconds: 0, disSeconds: 0 };
for (const [index, { name, image, motion, pair }] of pairs.entries()) {
  const [a, b] = [uploadImage(ctx, pair.from), uploadImage(ctx, pair.to)];
  if (index === 0) (await opticalFlow(ctx, a, b, options).read(), undefined); // warm-up: pipelines compiled
  let seconds = Infinity;
  let data: Float32Array = new Float32Array();
  for (let r = 0; r < Number(values.repeat); r++) {
    const start = performance.now();
    const flow = opticalFlow(ctx, a, b, options);
    data = await flow.read();
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
    flow.release();
  }
  [a, b].forEach((t) => t.release());
  const ours = endPointError(data, pair.truth, size);
  let disEpe = NaN;
  if (dis.has(name)) disEpe = endPointError(decodeFlo(readFileSync(join(folder, `${name}.dis.flo`)), name).data, pair.truth, size);
  sums.ours += ours;
  sums.dis += disEpe;
  sums.oursSeconds += seconds;
  sums.disSeconds += dis.get(name) ?? NaN;
  const f = (x: number, digits = 3) => (Number.isNaN(x) ? '–' : x.toFixed(digits));
  console.log(`| ${image} | ${motion} | ${f(ours)} | ${f(disEpe)} | ${f(seconds, 2)} | ${f(dis.get(name) ?? NaN, 4)} |`);
}
const n = pairs.length;
console.log(
  `mean: ours ${(sums.ours / n).toFixed(3)} px in ${(sums.oursSeconds / n).toFixed(2)} s; DIS ${(sums.dis / n).toFixed(3)} px in ${(sums.disSeconds / n).toFixed(4)} s`,
);
ctx.destroy();
