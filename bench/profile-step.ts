// GPU time per kernel for one seed-loss step (timestamp queries), largest first.
import { Tape, Tensor } from '../src/graph/index.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { createNodeContext } from '../src/node/gpu.js';
import { computeTargets, SEED_LOSS, styleTransferLoss } from '../src/style/loss.js';
import { StyleNetwork } from '../src/style/network.js';
import { Vgg19 } from '../src/vgg/index.js';

const ctx = await createNodeContext();
const side = Number(process.argv[2] ?? 16);
const shape = [1, 3, side, side];
const n = 3 * side * side;
const rand = () => Float32Array.from({ length: n }, () => Math.random());
const vgg = Vgg19.load(ctx, syntheticWeights(3), { upTo: 28 });
const net = new StyleNetwork(vgg);
const targets = computeTargets(ctx, net, ctx.upload(shape, rand()), [ctx.upload(shape, rand())], SEED_LOSS);
const image = Tensor.leaf(ctx.upload(shape, rand()), true);
const step = () => {
  const tape = new Tape(ctx);
  const loss = styleTransferLoss(tape, net, image, targets, SEED_LOSS).total;
  tape.backward(loss, [image])[0]!.release();
  tape.dispose();
};
step();
await ctx.sync();
ctx.startProfiling();
step();
const timings = await ctx.stopProfiling();
const total = timings.reduce((a, t) => a + t.ms, 0);
console.log(`${timings.length} dispatches, ${total.toFixed(1)} ms GPU`);
for (const t of [...timings].sort((a, b) => b.ms - a.ms).slice(0, 15)) console.log(t.ms.toFixed(2).padStart(8), t.label);
ctx.destroy();
process.exit(0);
