// Times seed-loss style steps (forward + backward + Adam) on random images with synthetic weights
// (the same work as real weights), and with --profile lists the GPU time of each kernel in one step.
//   npx tsx bench/step.ts [--size 128] [--steps 10] [--profile]

import { parseArgs } from 'node:util';
import { describeAdapter } from '../src/gpu/index.js';
import { Tape, Tensor } from '../src/graph/index.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { adamStep } from '../src/kernels/index.js';
import { createNodeContext } from '../src/node/gpu.js';
import { computeTargets, SEED_LOSS, styleTransferLoss } from '../src/style/loss.js';
import { StyleNetwork } from '../src/style/network.js';
import { Vgg19 } from '../src/vgg/index.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '128' }, steps: { type: 'string', default: '10' }, profile: { type: 'boolean' } } });
const side = Number(values.size);
const steps = Number(values.steps);
const ctx = await createNodeContext();
console.log(`adapter: ${describeAdapter(ctx.adapter)}`);
const shape = [1, 3, side, side];
const random = () => Float32Array.from({ length: 3 * side * side }, () => Math.random() * 2 - 1);
const net = new StyleNetwork(Vgg19.load(ctx, syntheticWeights(3), { upTo: 28 }));
const targets = computeTargets(ctx, net, ctx.upload(shape, random()), [ctx.upload(shape, random())], SEED_LOSS);
const param = ctx.upload(shape, random());
const [m, v] = [ctx.zeros(shape), ctx.zeros(shape)];
const image = Tensor.leaf(param, true);

function step(t: number): void {
  const tape = new Tape(ctx);
  const [grad] = tape.backward(styleTransferLoss(tape, net, image, targets, SEED_LOSS).total, [image]);
  adamStep(ctx, { param, grad: grad!, m: m!, v: v! }, t, { lr: 0.01 });
  grad!.release();
  tape.dispose();
  ctx.submit();
}

step(1); // compiles every pipeline
await ctx.sync();
if (values.profile && ctx.profiler.supported) {
  ctx.startProfiling();
  step(2);
  const timings = await ctx.stopProfiling();
  const total = timings.reduce((a, t) => a + t.ms, 0);
  console.log(`one step at ${side}×${side}: ${timings.length} dispatches, ${total.toFixed(1)} ms of GPU time; slowest:`);
  for (const t of [...timings].sort((a, b) => b.ms - a.ms).slice(0, 15)) console.log(`${t.ms.toFixed(2).padStart(9)} ms  ${t.label}`);
}
const started = performance.now();
for (let t = 1; t <= steps; t++) step(t);
await ctx.sync();
const seconds = (performance.now() - started) / 1000;
console.log(
  `${steps} steps at ${side}×${side} (VGG-19 0..28, seed loss): ${(seconds / steps).toFixed(3)} s/step; ` +
    `pool peak ${(ctx.memory().peakBytes / 2 ** 20).toFixed(1)} MiB`,
);
ctx.destroy();
process.exit(0);
