import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../src/gpu/index.js';
import { Tape, Tensor } from '../src/graph/index.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import {
  autotuneConv,
  CONV_VARIANTS,
  FEW_TILES,
  conv3x3Forward,
  conv3x3InputGrad,
  conv3x3Winograd,
  convTuningKey,
  convVariantsFor,
  flipConv3x3Weights,
  limitWinogradCache,
  releaseWinogradWeights,
  tuningFor,
  WINOGRAD_CACHE_TILES,
  winogradCacheBytes,
  winogradTiles,
  type ConvVariant,
} from '../src/kernels/index.js';
import { readImage } from '../src/node/image-files.js';
import { convertTfjsFolder } from '../src/node/weights-files.js';
import { computeTargets, releaseTargets, styleTransferLoss } from '../src/style/loss.js';
import { SEED_LOSS } from '../src/plan/settings.js';
import { StyleNetwork } from '../src/style/network.js';
import { convShapesForStep, Vgg19, VGG19_FEATURES } from '../src/vgg/index.js';
import { withBrokenShader } from './helpers/broken-shader.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { describeConvVariantCase } from './helpers/conv-check.js';
import { useGpu } from './helpers/gpu.js';
import { EXACT_TOLERANCE, shape4 } from './helpers/kernel-check.js';
import * as oracle from './helpers/oracle.js';
import { randomArray, size } from './helpers/random.js';
import { IMAGES, sharedAvailable, TFJS_MODEL } from './helpers/shared.js';
import { vggForward } from './helpers/vgg-oracle.js';

const WINOGRAD = CONV_VARIANTS.filter((v) => v.run !== undefined && v.name.includes('wino'));
const tileOf = (v: ConvVariant) => (v.name.includes('wino4') ? 4 : 2);

// Tolerances. On small cases (≤ 9 input channels, values in [-1, 1]) F(2×2) is within 2·10⁻⁷ of
// the float64 oracle (relative to the largest output) and F(4×4) within 2·10⁻⁶: its transforms
// scale by up to 8 (Aᵀ) and 5 (Bᵀ) and divide by 24 (G), which costs about a digit. The kernels'
// shared EXACT_TOLERANCE of 2·10⁻⁵ leaves F(4×4) a 10× margin; the 64–256-channel cases below
// measure the error at VGG's sizes (F(4×4) up to 5·10⁻⁶ synthetic, 1.1·10⁻⁵ on real activations).

describe('conv3x3 Winograd variants: forward and input gradient under the kernel checks', () => {
  const gpu = useGpu();
  for (const variant of WINOGRAD) {
    // test/conv3x3.test.ts runs every variant (these too) on odd sizes, channels off the blocks and
    // relu input + mask; here the edges of tiling: a 1×1 image in a batch of 2 and a 1×n row.
    for (const [shape, cout] of [
      [[2, 5, 1, 1], 3],
      [[1, 4, 1, 9], 37],
    ] as Array<[number[], number]>) {
      describeConvVariantCase(gpu, variant, shape, cout, 31);
    }
  }
});

/** Forward and input gradient of one conv on ctx, read back. */
async function forwardAndInputGrad(
  ctx: GpuContext,
  variant: ConvVariant,
  shape: number[],
  cout: number,
  data: Record<string, Float64Array>,
) {
  const [xt, wt, bt, dyt] = [
    ctx.upload(shape, data.x!),
    ctx.upload([cout, shape[1]!, 3, 3], data.w!),
    ctx.upload([cout], data.b!),
    ctx.upload([shape[0]!, cout, shape[2]!, shape[3]!], data.dy!),
  ];
  const flipped = flipConv3x3Weights(ctx, wt);
  const y = conv3x3Forward(ctx, xt, wt, bt, { variant });
  const dx = conv3x3InputGrad(ctx, dyt, flipped, { variant });
  const out = { y: await y.read(), dx: await dx.read() };
  for (const t of [xt, wt, bt, dyt, flipped, y, dx]) t.release();
  return out;
}

describe('conv3x3 Winograd over several chunks of tiles', () => {
  const gpu = useGpu();
  // With 64 KiB of scratch a chunk holds 64 tiles: two 20×36 images are 2 × 60 tiles of F(4×4)
  // (the boundary inside the second image) and 2 × 200 of F(2×2) (seven chunks).
  for (const [m, subgroup, transposed] of [
    [4, true, false],
    [2, true, false],
    [4, false, false],
    [4, false, true],
  ] as const) {
    const how = `${subgroup ? 'through subgroups' : 'without subgroups'}${transposed ? ', transposed' : ''}`;
    it(`F(${m}×${m}) ${how}: relu → conv + bias over chunks matches the oracle`, async () => {
      const ctx = gpu();
      if (subgroup && !ctx.subgroupsOf8) return;
      const shape = [2, 5, 20, 36];
      const cout = 6;
      const x = randomArray(size(shape), 91);
      const w = randomArray(cout * 5 * 9, 92);
      const b = randomArray(cout, 93);
      const [xt, wt, bt] = [ctx.upload(shape, x), ctx.upload([cout, 5, 3, 3], w), ctx.upload([cout], b)];
      const config = { m, coBlock: subgroup ? 32 : 8, tVecs: 2, wg: 8, subgroup, transposed, scratchBytes: 64 * 1024 };
      const before = ctx.dispatchCounts.get('conv3x3_winograd_input') ?? 0;
      const y = conv3x3Winograd(ctx, config, { label: 'chunks', x: xt, w: wt, bias: bt, reluInput: true });
      expect((ctx.dispatchCounts.get('conv3x3_winograd_input') ?? 0) - before).toBe(m === 4 ? 2 : 7);
      expectClose(await y.read(), oracle.conv3x3(oracle.relu(x), shape4(shape), w, cout, b), EXACT_TOLERANCE, `F${m} over chunks`);
      releaseWinogradWeights(ctx, wt);
      for (const t of [xt, wt, bt, y]) t.release();
    });
  }
});

describe('conv3x3 Winograd keeps transformed weights where the transform pays', () => {
  const gpu = useGpu();
  const config = { m: 4, coBlock: 8, tVecs: 2, wg: 8, subgroup: false } as const;
  const transforms = (ctx: GpuContext) => ctx.dispatchCounts.get('conv3x3_winograd_weights') ?? 0;

  it(`a conv over at most ${WINOGRAD_CACHE_TILES} tiles transforms its weights once; a larger one every call, keeping none`, async () => {
    const ctx = gpu();
    releaseWinogradWeights(ctx);
    const w = ctx.upload([8, 4, 3, 3], randomArray(8 * 4 * 9, 94));
    // 16×16 px: 4 × 4 tiles of F(4×4); 64×64: 16 × 16 = 256, over the limit.
    expect(winogradTiles(4, 1, 16, 16)).toBeLessThanOrEqual(WINOGRAD_CACHE_TILES);
    expect(winogradTiles(4, 1, 64, 64)).toBeGreaterThan(WINOGRAD_CACHE_TILES);
    for (const [side, perCall, kept] of [
      [64, 1, 0],
      [16, 0, 1],
    ] as const) {
      const x = ctx.upload([1, 4, side, side], randomArray(4 * side * side, 95));
      const before = transforms(ctx);
      for (let call = 0; call < 3; call++) conv3x3Winograd(ctx, config, { label: 'cache', x, w, reluInput: false }).release();
      expect(transforms(ctx) - before, `${side}×${side}: transforms in 3 calls`).toBe(perCall ? 3 : 1);
      expect(winogradCacheBytes(ctx), `${side}×${side}: bytes kept`).toBe(kept * 36 * 4 * 8 * 4);
      x.release();
    }
    releaseWinogradWeights(ctx, w);
    expect(winogradCacheBytes(ctx)).toBe(0);
    w.release();
  });

  it('keeps no more than limitWinogradCache allows, and gives the same output either way', async () => {
    const ctx = gpu();
    releaseWinogradWeights(ctx);
    const shape = [1, 4, 12, 12];
    const xs = randomArray(size(shape), 96);
    const ws = randomArray(8 * 4 * 9, 97);
    const [x, w] = [ctx.upload(shape, xs), ctx.upload([8, 4, 3, 3], ws)];
    const expected = oracle.conv3x3(xs, shape4(shape), ws, 8);
    try {
      limitWinogradCache(ctx, 0);
      const before = transforms(ctx);
      for (let call = 0; call < 2; call++) {
        const y = conv3x3Winograd(ctx, config, { label: 'limited', x, w, reluInput: false });
        expectClose(await y.read(), expected, EXACT_TOLERANCE, 'not kept');
        y.release();
      }
      expect(transforms(ctx) - before).toBe(2);
      expect(winogradCacheBytes(ctx)).toBe(0);
      limitWinogradCache(ctx, Infinity);
      const y = conv3x3Winograd(ctx, config, { label: 'kept', x, w, reluInput: false });
      expectClose(await y.read(), expected, EXACT_TOLERANCE, 'kept');
      expect(winogradCacheBytes(ctx)).toBeGreaterThan(0);
      y.release();
    } finally {
      limitWinogradCache(ctx, Infinity);
      releaseWinogradWeights(ctx, w);
      x.release();
      w.release();
    }
  });
});

describe('conv3x3 Winograd: a wrong transform coefficient or products layout fails the checks', () => {
  const gpu = useGpu();
  const shape = [1, 5, 8, 9];
  const cout = 6;
  const data = {
    x: randomArray(size(shape), 51),
    w: randomArray(cout * 5 * 9, 52),
    b: randomArray(cout, 53),
    dy: randomArray(cout * 8 * 9, 54),
  };
  const y64 = oracle.conv3x3(data.x, shape4(shape), data.w, cout, data.b);
  const dx64 = oracle.conv3x3Grads(data.x, shape4(shape), data.w, cout, data.dy).dx;
  // One coefficient per tile size, in each of the three transforms (lib/winograd).
  const breaks: Array<[2 | 4, string, string, string]> = [
    [4, 'Bᵀ', '0.0, 4.0, 0.0, -5.0, 0.0, 1.0);', '0.0, 4.0, 0.0, -5.001, 0.0, 1.0);'],
    [4, 'G', '1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0,', '1.0 / 24.0, -1.0 / 12.001, 1.0 / 6.0,'],
    [4, 'Aᵀ', '0.0, 1.0, -1.0, 8.0, -8.0, 1.0);', '0.0, 1.0, -1.0, 8.0, -8.0, 1.001);'],
    [2, 'Bᵀ', '0.0, 1.0, 0.0, -1.0);', '0.0, 1.0, 0.0, -1.001);'],
    [2, 'G', '0.5, -0.5, 0.5,', '0.5, -0.5005, 0.5,'],
    [2, 'Aᵀ', '0.0, 1.0, -1.0, -1.0);', '0.0, 1.0, -1.0, -1.001);'],
  ];
  for (const [m, matrix, correct, broken] of breaks) {
    it(`F(${m}×${m}) with one ${matrix} coefficient off by 0.1 % fails forward or gradient, and the correct one passes`, async () => {
      const variant = WINOGRAD.find((v) => tileOf(v) === m && convVariantsFor(gpu()).includes(v))!;
      const good = await forwardAndInputGrad(gpu(), variant, shape, cout, data);
      expect(relativeError(good.y, y64)).toBeLessThan(EXACT_TOLERANCE);
      expect(relativeError(good.dx, dx64)).toBeLessThan(EXACT_TOLERANCE);
      const bad = await forwardAndInputGrad(withBrokenShader(gpu(), 'lib/winograd', correct, broken), variant, shape, cout, data);
      expect(Math.max(relativeError(bad.y, y64), relativeError(bad.dx, dx64))).toBeGreaterThan(EXACT_TOLERANCE);
    });
  }

  it('the transposed GEMMs: the output transform reading their products as untransposed fails forward and gradient', async () => {
    const correct = 'mt[(k * p.tiles_pad + t4 * 4u + q) * p.cout_pad + co]';
    const broken = 'mt[(k * p.cout_pad + co) * p.tiles_pad + t4 * 4u + q]';
    for (const variant of WINOGRAD.filter((v) => v.suits && convVariantsFor(gpu()).includes(v))) {
      const good = await forwardAndInputGrad(gpu(), variant, shape, cout, data);
      expect(relativeError(good.y, y64), variant.name).toBeLessThan(EXACT_TOLERANCE);
      expect(relativeError(good.dx, dx64), variant.name).toBeLessThan(EXACT_TOLERANCE);
      const bad = await forwardAndInputGrad(withBrokenShader(gpu(), 'lib/winograd_output', correct, broken), variant, shape, cout, data);
      expect(relativeError(bad.y, y64), variant.name).toBeGreaterThan(EXACT_TOLERANCE);
      expect(relativeError(bad.dx, dx64), variant.name).toBeGreaterThan(EXACT_TOLERANCE);
    }
  });
});

describe('conv3x3 Winograd numerics at VGG channel counts', () => {
  const gpu = useGpu();
  // He-scaled synthetic weights (as VGG-19's), inputs ReLU-like in [0, 1), 64 and 256 channels.
  // The f32 error relative to the largest output grows with the tile (measured: direct ≤ 1·10⁻⁶,
  // F(2×2) ≤ 1.1·10⁻⁶, F(4×4) ≤ 5·10⁻⁶); the bounds give F(4×4) a 4–9× margin, and stay far below
  // what the style step notices (the last test: its loss and gradient within 10⁻⁴).
  for (const [cin, cout, hw, tolerance] of [
    [64, 64, 16, 2e-5],
    [256, 32, 8, 4e-5],
  ] as const) {
    it(`${cin}→${cout} channels at ${hw}×${hw}: every variant within ${tolerance} of the float64 oracle`, async () => {
      const ctx = gpu();
      const shape = [1, cin, hw, hw];
      const std = Math.sqrt(2 / (cin * 9));
      const data = {
        x: randomArray(size(shape), 61).map((v) => Math.fround(Math.abs(v))),
        w: randomArray(cout * cin * 9, 62, std * Math.sqrt(3)),
        b: randomArray(cout, 63, 0.1),
        dy: randomArray(cout * hw * hw, 64),
      };
      const y64 = oracle.conv3x3(data.x, shape4(shape), data.w, cout, data.b);
      const dx64 = oracle.conv3x3Grads(data.x, shape4(shape), data.w, cout, data.dy).dx;
      const errors: string[] = [];
      for (const variant of [convVariantsFor(ctx)[0]!, ...WINOGRAD.filter((v) => convVariantsFor(ctx).includes(v))]) {
        const { y, dx } = await forwardAndInputGrad(ctx, variant, shape, cout, data);
        const [ey, edx] = [relativeError(y, y64), relativeError(dx, dx64)];
        errors.push(`${variant.name} ${ey.toExponential(1)}/${edx.toExponential(1)}`);
        expect(ey, `${variant.name} forward`).toBeLessThan(tolerance);
        expect(edx, `${variant.name} input gradient`).toBeLessThan(tolerance);
      }
      console.log(`[winograd numerics] synthetic ${cin}→${cout} at ${hw}×${hw}, forward/input-gradient error: ${errors.join(', ')}`);
    });
  }

  describe.runIf(
    sharedAvailable('Winograd on real activations', TFJS_MODEL) && sharedAvailable('real image', join(IMAGES, 'tubingen.jpg')),
  )('with the real ../shared weights', () => {
    // Measured: direct and F(2×2) ≤ 1.1·10⁻⁶; F(4×4) ≤ 1.6·10⁻⁶ forward and ≤ 1.1·10⁻⁵ input
    // gradient (dy random, mixed signs: more cancellation). 5·10⁻⁵ is a 4.5× margin.
    it('blocks 1–3 of VGG-19 on a 32×32 crop of tubingen.jpg: each conv within 5·10⁻⁵ of the oracle', async () => {
      const ctx = gpu();
      const weights = await convertTfjsFolder(TFJS_MODEL, 16);
      const photo = readImage(join(IMAGES, 'tubingen.jpg'));
      const [h, w, top, left] = [32, 32, 200, 300];
      const image = new Float64Array(3 * h * w);
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++)
            image[(c * h + y) * w + x] = photo.data[((top + y) * photo.width + left + x) * 4 + 2 - c]! - weights.input.mean[c]!;
      const convs = VGG19_FEATURES.filter((m) => m.kind === 'conv' && m.index <= 16);
      // Each conv's input: the image, or the float64 features of the module before it (f32-rounded).
      const inputs = vggForward(
        weights,
        image,
        [1, 3, h, w],
        convs.map((m) => m.index - 1).filter((i) => i >= 0),
      );
      const lines: string[] = [];
      for (const m of convs) {
        const input = m.index === 0 ? { shape: [1, 3, h, w] as const, data: image } : inputs.get(m.index - 1)!;
        const x = input.data.map(Math.fround);
        const shape = [...input.shape];
        const wdata = Float64Array.from(weights.tensors.get(`${m.name}.weight`)!.data);
        const bdata = Float64Array.from(weights.tensors.get(`${m.name}.bias`)!.data);
        const dy = randomArray(m.cout * shape[2]! * shape[3]!, 70 + m.index);
        const y64 = oracle.conv3x3(x, shape4(shape), wdata, m.cout, bdata);
        const dx64 = oracle.conv3x3Grads(x, shape4(shape), wdata, m.cout, dy).dx;
        const errors: string[] = [];
        for (const variant of [convVariantsFor(ctx)[0]!, ...WINOGRAD.filter((v) => convVariantsFor(ctx).includes(v))]) {
          if (variant !== convVariantsFor(ctx)[0] && WINOGRAD.findIndex((v) => tileOf(v) === tileOf(variant)) !== WINOGRAD.indexOf(variant))
            continue; // one variant per tile size: the others share its arithmetic order per product
          const out = await forwardAndInputGrad(ctx, variant, shape, m.cout, { x, w: wdata, b: bdata, dy });
          const [ey, edx] = [relativeError(out.y, y64), relativeError(out.dx, dx64)];
          errors.push(`${variant.name} ${ey.toExponential(1)}/${edx.toExponential(1)}`);
          expect(ey, `${m.name} ${variant.name} forward`).toBeLessThan(5e-5);
          expect(edx, `${m.name} ${variant.name} input gradient`).toBeLessThan(5e-5);
        }
        lines.push(`  ${m.name} [${shape}]→${m.cout}: ${errors.join(', ')}`);
      }
      console.log(`[winograd numerics] real weights, forward/input-gradient error relative to the largest value:\n${lines.join('\n')}`);
    });
  });
});

describe('conv3x3 Winograd in the autotuner and the style step', () => {
  const gpu = useGpu();

  it('the autotuner times the Winograd variants beside the direct ones and may choose one', async () => {
    const ctx = gpu();
    const shape = [1, 32, 16, 16] as [number, number, number, number];
    tuningFor(ctx).clear();
    const winogradRuns = () => ctx.dispatchCounts.get('conv3x3_winograd_input') ?? 0;
    const before = winogradRuns();
    const [result] = await autotuneConv(ctx, [{ shape, cout: 32 }], { runs: 1 });
    // Every Winograd variant ran at least once. (result.ms lists only the variants timed to the
    // end: one whose first run took over twice the best so far is dropped from it, which on a
    // busy machine can be every Winograd variant at this small shape.)
    const suited = WINOGRAD.filter((v) => convVariantsFor(ctx).includes(v) && v.suits?.(shape, 32) !== false);
    expect(suited.some((v) => v.suits)).toBe(true); // 16 tiles of F(4×4): the transposed F(4×4) GEMMs are timed too
    expect(winogradRuns() - before).toBeGreaterThanOrEqual(suited.length);
    expect(convVariantsFor(ctx).map((v) => v.name)).toContain(result!.chosen);
    expect(result!.ms[result!.chosen]).toBe(Math.min(...Object.values(result!.ms)));
    tuningFor(ctx).clear();
  });

  it(`the autotuner times the transposed GEMMs only on convs over at most ${FEW_TILES} tiles`, async () => {
    const ctx = gpu();
    tuningFor(ctx).clear();
    const labels: string[] = [];
    const dispatch = ctx.dispatch.bind(ctx);
    ctx.dispatch = (d) => {
      labels.push(d.label);
      return dispatch(d);
    };
    const transposedRuns = async (shape: [number, number, number, number]) => {
      labels.length = 0;
      await autotuneConv(ctx, [{ shape, cout: 8 }], { runs: 1 });
      return labels.filter((l) => l.includes('ᵀ')).length;
    };
    try {
      expect(await transposedRuns([1, 8, 8, 8])).toBeGreaterThan(0); // 8 tiles of F(4×4)
      expect(await transposedRuns([1, 8, 24, 32])).toBe(0); // 48 of F(4×4)
    } finally {
      ctx.dispatch = dispatch;
      tuningFor(ctx).clear();
    }
  });

  it('a style step with every conv on a Winograd variant keeps its loss and image gradient within 10⁻⁴ of the direct one', async () => {
    const ctx = gpu();
    const [height, width] = [20, 24];
    const shape = [1, 3, height, width];
    const random = (seed: number) => randomArray(3 * height * width, seed, 1.5);
    const net = new StyleNetwork(Vgg19.load(ctx, syntheticWeights(3), { upTo: 28 }));
    const [content, style, start] = [ctx.upload(shape, random(81)), ctx.upload(shape, random(82)), ctx.upload(shape, random(83))];
    // The seed's layers and weights without TV, which no conv touches and which would dominate the
    // loss of random images this small.
    const config = { ...SEED_LOSS, tvWeight: 0 };
    const step = async () => {
      const targets = computeTargets(ctx, net, content, [style], config);
      const tape = new Tape(ctx);
      const image = Tensor.leaf(start, true);
      const loss = styleTransferLoss(tape, net, image, targets, config).total;
      const [grad] = tape.backward(loss, [image]);
      const out = { loss: await loss.value.read(), grad: await grad!.read() };
      grad!.release();
      tape.dispose();
      releaseTargets(targets);
      return out;
    };
    tuningFor(ctx).clear();
    const direct = await step();
    for (const m of [4, 2]) {
      const variant = WINOGRAD.find((v) => tileOf(v) === m && convVariantsFor(ctx).includes(v))!;
      for (const s of convShapesForStep(height, width, 28)) tuningFor(ctx).set(convTuningKey(s.shape, s.cout), variant.name);
      const counts = () =>
        ['conv3x3_winograd_input', 'conv3x3_forward_subgroup', 'conv3x3_forward'].map((k) => ctx.dispatchCounts.get(k) ?? 0);
      const before = counts();
      const wino = await step();
      const after = counts();
      expect(after[0]).toBeGreaterThan(before[0]!); // every conv ran by Winograd, none directly
      expect(after.slice(1)).toEqual(before.slice(1));
      // Measured: F(4×4) 2.3·10⁻⁶ (loss) and 1.5·10⁻⁵ (gradient, through 13 convs forward and 12
      // back, and the Gram matrices); F(2×2) 2·10⁻⁷ and 4.6·10⁻⁶. 10⁻⁴ leaves F(4×4) a 6.8× margin.
      expectClose(wino.loss, direct.loss, 1e-4, `style loss with ${variant.name}`);
      expectClose(wino.grad, direct.grad, 1e-4, `style gradient with ${variant.name}`);
    }
    tuningFor(ctx).clear();
    for (const t of [content, style, start]) t.release();
    net.vgg.dispose();
  });
});
