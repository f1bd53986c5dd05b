// Times seed-loss steps (forward + backward + Adam) on a tiny image, where dispatch overhead dominates.
import { Tape, Tensor } from '../src/graph/index.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { adamStep } from '../src/kernels/index.js';
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
const param = ctx.upload(shape, rand());
const m = ctx.zeros(shape);
const v = ctx.zeros(shape);
const image = Tensor.leaf(param, true);
const steps = Number(process.argv[3] ?? 30);
let dispatches = 0;
for (let step = 1; step <= steps + 3; step++) {
  if (step === 4) {
    await ctx.sync();
    console.time(`${steps} steps at ${side}px`);
    dispatches = [...ctx.dispatchCounts.values()].reduce((a, b) => a + b, 0);
  }
  const tape = new Tape(ctx);
  const loss = styleTransferLoss(tape, net, image, targets, SEED_LOSS).total;
  const [grad] = tape.backward(loss, [image]);
  adamStep(ctx, { param, grad: grad!, m, v }, step, { lr: 0.01 });
  grad!.release();
  tape.dispose();
  ctx.submit();
}
await ctx.sync();
console.timeEnd(`${steps} steps at ${side}px`);
console.log('dispatches per step', ([...ctx.dispatchCounts.values()].reduce((a, b) => a + b, 0) - dispatches) / steps);
ctx.destroy();
process.exit(0);
