import { afterEach, describe, expect, it, vi } from 'vitest';
import { ops, OPS, Tape, Tensor, type ConvWeights } from '../src/graph/index.js';
import { defineOp } from '../src/graph/op.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { adamStep, flipConv3x3Weights, scale } from '../src/kernels/index.js';
import { computeTargets, styleTransferLoss, type LossConfig } from '../src/style/loss.js';
import { SEED_LOSS } from '../src/plan/settings.js';
import { StyleNetwork } from '../src/style/network.js';
import { Vgg19 } from '../src/vgg/index.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { useGpu } from './helpers/gpu.js';
import * as oracle from './helpers/oracle.js';
import { randomArray } from './helpers/random.js';
import { oracleLoss, oracleTargets } from './helpers/vgg-oracle.js';

describe('tape autodiff', () => {
  const gpu = useGpu();

  it('accumulates the gradient of a tensor used twice', async () => {
    const ctx = gpu();
    const n = 57;
    const [xs, as, bs] = [randomArray(n, 1), randomArray(n, 2), randomArray(n, 3)];
    const tape = new Tape(ctx);
    const x = Tensor.leaf(ctx.upload([n], xs), true, 'x');
    const a = Tensor.leaf(ctx.upload([n], as));
    const b = Tensor.leaf(ctx.upload([n], bs));
    const loss = ops.weightedSum(tape, [
      [ops.mse(tape, x, a), 1],
      [ops.mse(tape, ops.relu(tape, x), b), 3],
    ]);
    const [dx] = tape.backward(loss, [x]);
    const expected = oracle.mseGrad(xs, as).map((g, i) => g + 3 * oracle.reluGrad(xs, oracle.mseGrad(oracle.relu(xs), bs))[i]!);
    expectClose(await dx!.read(), expected, 1e-6, 'tape accumulation');
    tape.dispose();
  });

  it('frees values no backward reads (releaseUnneeded), keeps the rest, and the gradient is unchanged', async () => {
    const ctx = gpu();
    const conv = (cout: number, cin: number, seed: number) => {
      const weight = ctx.upload([cout, cin, 3, 3], randomArray(cout * cin * 9, seed));
      return { weight, bias: ctx.upload([cout], randomArray(cout, seed + 1)), flippedWeights: flipConv3x3Weights(ctx, weight) };
    };
    const [w1, w2, w3] = [conv(5, 3, 40), conv(4, 5, 50), conv(3, 4, 60)];
    const xs = randomArray(3 * 6 * 8, 70);
    const gradient = async (free: boolean) => {
      const tape = new Tape(ctx);
      const x = Tensor.leaf(ctx.upload([1, 3, 6, 8], xs), true);
      const a = ops.relu(tape, x); // relu's backward reads its input x, not a
      const b = ops.conv3x3(tape, a, w1); // a conv's backward reads neither
      const c = ops.maxPool(tape, b); // reads its input b
      const d = ops.conv3x3(tape, c, w2);
      const e = ops.reluConv3x3(tape, d, w3); // reads its input d (the ReLU's mask)
      if (free) {
        expect(tape.releaseUnneeded(a)).toBe(true);
        expect(() => a.value.buffer).toThrow(/used after release/);
        expect(tape.releaseUnneeded(b)).toBe(false);
        expect(tape.releaseUnneeded(c)).toBe(true);
        expect(tape.releaseUnneeded(d)).toBe(false);
        expect(tape.releaseUnneeded(x)).toBe(false); // not the tape's
      }
      const [dx] = tape.backward(ops.mse(tape, e, Tensor.leaf(ctx.zeros(e.shape))), [x]);
      const values = await dx!.read();
      dx!.release();
      tape.dispose();
      return values;
    };
    const kept = await gradient(false);
    expect(kept.some((v) => v !== 0)).toBe(true);
    expect(await gradient(true)).toEqual(kept);
    for (const w of [w1, w2, w3]) for (const t of [w.weight, w.bias, w.flippedWeights]) t.release();
  });

  it('computes no gradient for constants: the target of an MSE and the convolution weights', () => {
    const ctx = gpu();
    const weights = syntheticWeights(1, 4);
    const vgg = Vgg19.load(ctx, weights, { upTo: 4 });
    const before = new Map(ctx.dispatchCounts);
    const tape = new Tape(ctx);
    const image = Tensor.leaf(ctx.upload([1, 3, 6, 6], randomArray(108, 1)), true);
    const features = vgg.extract(tape, image, [2]).get(2)!;
    const target = Tensor.leaf(ctx.zeros(features.shape));
    tape.backward(ops.mse(tape, features, target), [image])[0]!.release();
    const delta = (k: string) => (ctx.dispatchCounts.get(k) ?? 0) - (before.get(k) ?? 0);
    expect(delta('mse_backward')).toBe(1); // d/d features only, not d/d target
    expect(delta('conv3x3_weight_grad')).toBe(0);
    // two forwards + two input gradients, by either conv shader
    expect(delta('conv3x3_forward') + delta('conv3x3_forward_subgroup')).toBe(2 + 2);
    // The ReLU between the convs runs inside the second: as it loads its input, and in its backward.
    expect(delta('relu_forward')).toBe(0);
    expect(delta('relu_backward')).toBe(0);
    tape.dispose();
    vgg.dispose();
  });

  it("frees exactly what the table's reads allow: neither value, an op's inputs, or its output", () => {
    const ctx = gpu();
    const cases = [
      [[], { a: true, b: true }],
      [['inputs'], { a: false, b: true }], // a is the second node's input
      [['output'], { a: false, b: false }], // a and b are the nodes' outputs
    ] as const;
    for (const [reads, freed] of cases) {
      const copy = defineOp({ name: 'copy', reads, backward: (c, node) => [c.copy(node.dOut)] });
      const tape = new Tape(ctx);
      const x = Tensor.leaf(ctx.upload([4], [1, 2, 3, 4]), true);
      const a = tape.record(copy, [x], ctx.copy(x.value));
      const b = tape.record(copy, [a], ctx.copy(a.value));
      expect({ reads, a: tape.releaseUnneeded(a), b: tape.releaseUnneeded(b) }).toEqual({ reads, ...freed });
      tape.dispose();
      x.value.release();
    }
  });

  it("takes each op's saved values as its backward declares them (a wrong one fails tsc)", async () => {
    const ctx = gpu();
    const tape = new Tape(ctx);
    const x = Tensor.leaf(ctx.upload([2], [1, -2]), true);
    const y = tape.record(OPS.scale, [x], ctx.upload([2], [3, -6]), 3); // the factor reaches the backward
    const [dx] = tape.backward(ops.mse(tape, y, Tensor.leaf(ctx.zeros([2]))), [x]);
    expect(Array.from(await dx!.read())).toEqual([9, -18]); // d/dx mean((3x)²) = 9x
    const neverRun = (w: ConvWeights) => [
      // @ts-expect-error scale saves its factor, a number
      tape.record(OPS.scale, [x], x.value, '3'),
      // @ts-expect-error a convolution saves its flipped weights, not all its weights
      tape.record(OPS.conv3x3, [x], x.value, w),
      // @ts-expect-error gram saves nothing
      tape.record(OPS.gram, [x], x.value, w.flippedWeights),
      // @ts-expect-error channelAffine must be given its affine
      tape.record(OPS.channelAffine, [x], x.value),
    ];
    expect(neverRun).toBeTypeOf('function');
    dx!.release();
    tape.dispose();
    x.value.release();
  });

  it('records nothing without grad, and refuses backward through such a graph', () => {
    const ctx = gpu();
    const tape = new Tape(ctx, { grad: false });
    const x = Tensor.leaf(ctx.upload([4], [1, -2, 3, -4]), true);
    const loss = ops.mse(tape, ops.relu(tape, x), x);
    expect(tape.nodeCount).toBe(0);
    expect(() => tape.backward(loss, [x])).toThrow(/does not depend on any tensor that requires a gradient/);
    tape.dispose();
  });
});

describe('whole-graph gradient of the seed loss', () => {
  const gpu = useGpu();
  const shape = [1, 3, 16, 20];
  const size = 3 * 16 * 20;
  const weights = syntheticWeights(11);
  const content = randomArray(size, 21);
  const style = randomArray(size, 22);
  // Start away from the content image, so that every term has a gradient.
  const noise = randomArray(size, 23);
  const image = content.map((v, i) => Math.fround(v + 0.3 * noise[i]!));
  afterEach(() => vi.restoreAllMocks());
  const TOLERANCE = 1e-4;

  async function deviceGradient(config: LossConfig): Promise<{ grad: Float32Array; loss: number }> {
    const ctx = gpu();
    const vgg = Vgg19.load(ctx, weights, { upTo: 28 });
    const net = new StyleNetwork(vgg);
    const targets = computeTargets(ctx, net, ctx.upload(shape, content), [ctx.upload(shape, style)], config);
    const tape = new Tape(ctx);
    const x = Tensor.leaf(ctx.upload(shape, image), true, 'image');
    const terms = styleTransferLoss(tape, net, x, targets, config);
    const loss = (await terms.total.value.read())[0]!;
    const [dx] = tape.backward(terms.total, [x]);
    const grad = await dx!.read();
    tape.dispose();
    vgg.dispose();
    return { grad, loss };
  }

  /**
   * float64 central differences of the oracle's loss at 12 pixels (the 6 with the largest
   * device gradient, so the check sees real signal, and 6 fixed ones), computed once per config.
   */
  const references = new Map<
    LossConfig,
    Promise<{ indices: number[]; numeric: number[]; loss: number; lossOracle: number; grad: Float32Array }>
  >();
  function reference(config: LossConfig) {
    let ref = references.get(config);
    if (!ref) {
      ref = (async () => {
        const { grad, loss } = await deviceGradient(config);
        const targets = oracleTargets(weights, content, style, shape, config);
        const lossAt = (x: Float64Array) => oracleLoss(weights, x, shape, targets, config).total;
        const top = Array.from(grad.keys())
          .sort((a, b) => Math.abs(grad[b]!) - Math.abs(grad[a]!))
          .slice(0, 6);
        const indices = [...new Set([...top, 0, 17, 321, 500, 777, size - 1])];
        const h = 1e-6; // small enough that no ReLU or max-pool switches inside the step
        const numeric = indices.map((i) => {
          const probe = Float64Array.from(image);
          probe[i] = image[i]! + h;
          const plus = lossAt(probe);
          probe[i] = image[i]! - h;
          return (plus - lossAt(probe)) / (2 * h);
        });
        return { indices, numeric, loss, lossOracle: lossAt(Float64Array.from(image)), grad };
      })();
      references.set(config, ref);
    }
    return ref;
  }

  // The seed's loss, and the same without TV so that the VGG path dominates every pixel's gradient.
  const NO_TV: LossConfig = { ...SEED_LOSS, tvWeight: 0 };
  for (const [name, config] of [
    ['seed loss', SEED_LOSS],
    ['seed loss without TV', NO_TV],
  ] as const) {
    it(`${name}: matches float64 central differences through every kernel (VGG 0..28, content 25, style 0,5,10,19,28)`, async () => {
      const ref = await reference(config);
      expect(ref.loss).toBeCloseTo(ref.lossOracle, 3);
      const error = expectClose(
        ref.indices.map((i) => ref.grad[i]!),
        ref.numeric,
        TOLERANCE,
        `whole-graph gradient (${name})`,
      );
      console.log(
        `whole-graph gradient (${name}): max relative error ${error.toExponential(2)} over ${ref.indices.length} pixels (loss ${ref.loss.toFixed(4)})`,
      );
    });
  }

  const gramBackward = OPS.gram.backward;
  const BROKEN: Array<[string, () => void]> = [
    // The ReLUs run inside the convs that follow them (ops.reluConv3x3): drop their mask.
    ['ReLU passing every gradient', () => vi.spyOn(OPS.reluConv3x3, 'backward').mockImplementation(OPS.conv3x3.backward)],
    ['max-pool spreading gradients like an average pool', () => vi.spyOn(OPS.maxpool, 'backward').mockImplementation(OPS.avgpool.backward)],
    [
      'Gram backward scaled by 0.999',
      () => vi.spyOn(OPS.gram, 'backward').mockImplementation((ctx, node) => [scale(ctx, gramBackward(ctx, node)[0]!, 0.999)]),
    ],
  ];
  for (const [what, breakIt] of BROKEN) {
    it(`fails when a backward is deliberately broken: ${what}`, async () => {
      const ref = await reference(NO_TV);
      breakIt();
      const { grad } = await deviceGradient(NO_TV);
      expect(
        relativeError(
          ref.indices.map((i) => grad[i]!),
          ref.numeric,
        ),
      ).toBeGreaterThan(TOLERANCE);
    });
  }
});

describe('memory over a training loop', () => {
  const gpu = useGpu();

  // Layers up to conv3_1 keep 1,000 steps to ~20 s on lavapipe; the tape, pool and Adam are the same.
  const CONFIG: LossConfig = { contentLayers: [10], styleLayers: [0, 5, 10], contentWeight: 1, styleWeight: 1e3, tvWeight: 50 };

  it('1,000 Adam steps on the style loss allocate nothing after the first step', async () => {
    const ctx = gpu();
    const shape = [1, 3, 16, 16];
    const vgg = Vgg19.load(ctx, syntheticWeights(3, 10), { upTo: 10 });
    const net = new StyleNetwork(vgg);
    const targets = computeTargets(ctx, net, ctx.upload(shape, randomArray(768, 1)), [ctx.upload(shape, randomArray(768, 2))], CONFIG);
    const param = ctx.upload(shape, randomArray(768, 1));
    const m = ctx.zeros(shape);
    const v = ctx.zeros(shape);
    const image = Tensor.leaf(param, true, 'image');
    const losses: number[] = [];
    let afterFirst = ctx.memory();
    const started = performance.now();
    for (let step = 1; step <= 1000; step++) {
      const tape = new Tape(ctx);
      const loss = styleTransferLoss(tape, net, image, targets, CONFIG).total;
      if (step % 100 === 1) losses.push((await loss.value.read())[0]!);
      const [grad] = tape.backward(loss, [image]);
      adamStep(ctx, { param, grad: grad!, m, v }, step, { lr: 0.01 * 0.1 ** Math.floor((step - 1) / 200) });
      grad!.release();
      tape.dispose();
      if (step === 1) {
        await ctx.sync();
        afterFirst = ctx.memory();
      }
      if (step % 50 === 0) await ctx.sync(); // keep the queue short; surfaces errors early
    }
    await ctx.sync();
    const end = ctx.memory();
    console.log(
      `1000 steps at 16×16: ${((performance.now() - started) / 1000).toFixed(1)} s; peak pool ${(end.peakBytes / 2 ** 20).toFixed(2)} MiB, ` +
        `${end.created} buffers created, live ${end.liveBuffers} (${(end.liveBytes / 2 ** 20).toFixed(2)} MiB); loss ${losses[0]!.toFixed(3)} -> ${losses.at(-1)!.toFixed(3)}`,
    );
    expect(end.created).toBe(afterFirst.created);
    expect(end.liveBytes).toBe(afterFirst.liveBytes);
    expect(end.liveBuffers).toBe(afterFirst.liveBuffers);
    expect(end.peakBytes).toBe(afterFirst.peakBytes);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
  });
});
