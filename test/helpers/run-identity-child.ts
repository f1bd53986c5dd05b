// Computes the run identity (runIdentity, src/io/checkpoint-file.ts, with the Node edge's hasher) of a
// <width>×<height> RGBA image and 64 MiB of weights, in a process of its own so that its peak memory
// is the image, the weights and the hashing: prints one line of JSON, { content, weights,
// imageMiB, baseMiB, maxRssMiB, ms } (baseMiB: max RSS once the inputs exist, before hashing).
// Used by test/checkpoint-state.test.ts and by hand:
//   /usr/bin/time -v node --import tsx test/helpers/run-identity-child.ts 8000 8000

import { runIdentity } from '../../src/io/checkpoint-file.js';
import { nodeSha256 } from '../../src/node/checkpoint-files.js';
import type { StyleOptions } from '../../src/style/job.js';
import type { VggWeights } from '../../src/vgg/index.js';

const [width, height] = process.argv.slice(2).map(Number) as [number, number];
const data = new Uint8Array(width * height * 4);
for (let i = 0; i < data.length; i += 4096) data[i] = i & 255; // touched, so every page is resident
const tensor = new Float32Array(16 * 2 ** 20).fill(0.5);
const weights = {
  architecture: 'vgg19',
  tensors: new Map([['conv1_1.weight', { shape: [tensor.length], data: tensor }]]),
  input: { range: 255, mean: [0, 0, 0], std: [1, 1, 1], channels: 'bgr' },
  provenance: {},
} as unknown as VggWeights;
const rss = () => Math.round(process.resourceUsage().maxRSS / 1024);
const baseMiB = rss();
const start = performance.now();
const identity = runIdentity({ size: 64 } as unknown as StyleOptions, { content: { width, height, data } }, weights, nodeSha256);
const ms = Math.round(performance.now() - start);
const imageMiB = Math.round(data.length / 2 ** 20);
process.stdout.write(
  `${JSON.stringify({ content: identity.inputs.content, weights: identity.weights, imageMiB, baseMiB, maxRssMiB: rss(), ms })}\n`,
);
