// The W2 and mean-std style statistics (src/style/stats-w2.ts, stats-mean-std.ts) end to end on the
// device — a style image's raw moments, prepared once, the term for an image's features and its
// gradient through the tape — against torch float64 references (test/fixtures/style-losses-ref.json,
// made by bench/style_losses_ref.py: crowsonkb's StyleLossW2 with the same 12 Newton–Schulz
// iterations) and the float64 oracles with an exact (Jacobi) square root; over a mask and not.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countingContext } from '../src/gpu/counting.js';
import type { DeviceTensor, GpuContext } from '../src/gpu/index.js';
import { ops, Tape, Tensor } from '../src/graph/index.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { axpby, scale } from '../src/kernels/index.js';
import { planJob } from '../src/plan/plan-job.js';
import { planVideo } from '../src/plan/video-options.js';
import { runStyleJob } from '../src/style/job.js';
import type { RgbaImage } from '../src/style/image-tensor.js';
import { runVideoJob } from '../src/video/job.js';
import { Vgg19 } from '../src/vgg/index.js';
import { styleStatistic, type LayerMask, type StyleLossKind, type StyleTarget } from '../src/style/style-statistics.js';
import { MEAN_STD_EPS } from '../src/style/stats-mean-std.js';
import { W2_EPS } from '../src/style/stats-w2.js';
import { expectClose, relativeError } from './helpers/compare.js';
import { deviceNumericGradient, sampleCoordinates } from './helpers/gradcheck.js';
import { useGpu } from './helpers/gpu.js';
import * as oracle from './helpers/oracle-matrix.js';
import { makeClip, texture } from './helpers/video-clip.js';

interface Fixture {
  channels: number;
  content: [number, number];
  style: [number, number];
  w2Eps: number;
  meanStdEps: number;
  x: number[];
  styleFeatures: number[];
  mask: number[];
  w2ExactLoss: number;
  cases: Array<{ name: string; loss: number; grad: number[] }>;
}

const W2 = styleStatistic('w2');
const REF: Fixture = JSON.parse(readFileSync(new URL('./fixtures/style-losses-ref.json', import.meta.url), 'utf8'));
const C = REF.channels;
const [H, W] = REF.content;
const P = H * W;
const MASK_MEAN = REF.mask.reduce((s, v) => s + v, 0) / P;

/** The statistic's prepared target of style features (made and prepared as loss.ts does). */
function target(ctx: GpuContext, kind: StyleLossKind, styleFeatures: DeviceTensor[], blend: number[]): StyleTarget {
  const statistic = styleStatistic(kind);
  const tape = new Tape(ctx, { grad: false });
  const each = styleFeatures.map((f) => statistic.of(tape, Tensor.leaf(f)).map((t) => ctx.copy(t)));
  tape.dispose();
  const sum = each[0]!.map((t) => scale(ctx, t, blend[0]!));
  each.forEach((stats, i) => stats.forEach((t, k) => (i > 0 ? axpby(ctx, blend[i]!, t, 1, sum[k]!) : undefined, t.release())));
  return statistic.prepare?.(ctx, sum) ?? sum;
}

/** The term's value and its gradient wrt x, on the device. */
async function term(ctx: GpuContext, kind: StyleLossKind, x: ArrayLike<number>, t: StyleTarget, mask?: LayerMask) {
  const tape = new Tape(ctx);
  const xt = Tensor.leaf(ctx.upload([1, C, H, W], x), true);
  const loss = styleStatistic(kind).loss(tape, xt, t, mask);
  const value = (await loss.value.read())[0]!;
  const [grad] = tape.backward(loss, [xt]);
  const g = await grad!.read();
  tape.dispose();
  for (const v of [grad!, xt.value]) v.release();
  return { value, grad: g };
}

function withInputs<T>(ctx: GpuContext, masked: boolean, body: (style: DeviceTensor, mask?: LayerMask) => Promise<T>): Promise<T> {
  const style = ctx.upload([1, C, ...REF.style], REF.styleFeatures);
  const weights = masked ? ctx.upload([1, 1, H, W], REF.mask) : null;
  return body(style, weights ? { weights, mean: MASK_MEAN } : undefined).finally(() => {
    style.release();
    weights?.release();
  });
}

describe('W2 and mean-std style terms against torch float64', () => {
  const gpu = useGpu();

  it('the fixture was made with the product’s constants', () => {
    expect([REF.w2Eps, REF.meanStdEps]).toEqual([W2_EPS, MEAN_STD_EPS]);
  });

  for (const { name, loss, grad } of REF.cases) {
    const kind: StyleLossKind = name.startsWith('w2') ? 'w2' : 'mean-std';
    const masked = name.endsWith('masked');
    it(`${name}: the term and its gradient match torch's`, async () => {
      const ctx = gpu();
      await withInputs(ctx, masked, async (style, mask) => {
        const t = target(ctx, kind, [style], [1]);
        const got = await term(ctx, kind, REF.x, t, mask);
        for (const v of t) v.release();
        // float32 sums over ≤ 42 pixels and 12 Newton–Schulz iterations of 8×8 matmuls (seen: ≤ 7e-7).
        expectClose([got.value], [loss], 1e-5, `${name} term vs torch`);
        expectClose(got.grad, grad, 1e-5, `${name} gradient vs torch`);
        const eps = kind === 'w2' ? W2_EPS : MEAN_STD_EPS;
        const [s, w] = [REF.styleFeatures, masked ? REF.mask : undefined];
        const exact =
          kind === 'w2'
            ? oracle.w2Loss(REF.x, s, C, P, eps, w, REF.style[0] * REF.style[1])
            : oracle.meanStdLoss(REF.x, s, C, P, eps, w, REF.style[0] * REF.style[1]);
        expectClose([got.value], [exact], 1e-5, `${name} term vs the float64 oracle`);
      });
    });
  }

  it('torch’s Newton–Schulz W2 equals its exact-square-root W2 (12 iterations converge here)', () => {
    expect(Math.abs(REF.cases[0]!.loss - REF.w2ExactLoss) / REF.w2ExactLoss).toBeLessThan(1e-9);
  });

  for (const kind of ['w2', 'mean-std'] as const) {
    it(`${kind}: the gradient matches float32 differences of the device term (sampled), and a perturbed one does not`, async () => {
      const ctx = gpu();
      await withInputs(ctx, true, async (style, mask) => {
        const t = target(ctx, kind, [style], [1]);
        const { grad } = await term(ctx, kind, REF.x, t, mask);
        const indices = sampleCoordinates(grad, 10);
        const numeric = await deviceNumericGradient(async (x) => (await term(ctx, kind, x, t, mask)).value, REF.x, indices, 1e-2);
        for (const v of t) v.release();
        const sampled = indices.map((i) => grad[i]!);
        expectClose(sampled, numeric, 2e-2, `${kind} gradient vs f32 differences`);
        const perturbed = sampled.map((v, i) => (i === 0 ? v * 1.5 : v));
        expect(relativeError(perturbed, numeric)).toBeGreaterThan(2e-2);
      });
    });

    it(`${kind}: an all-white mask gives the unmasked term exactly, and a blend of two style images is the statistics of both together`, async () => {
      const ctx = gpu();
      const ones = ctx.upload([1, 1, H, W], new Float32Array(P).fill(1));
      const [hs, ws] = REF.style;
      const other = Float64Array.from(REF.styleFeatures, (v, i) => Math.fround(0.5 * v + 0.1 * (i % 7)));
      const both = ctx.upload([1, C, hs, 2 * ws], concatenatedWidth(REF.styleFeatures, other, C, hs, ws));
      await withInputs(ctx, false, async (style) => {
        const second = ctx.upload([1, C, hs, ws], other);
        const t = target(ctx, kind, [style], [1]);
        const plain = await term(ctx, kind, REF.x, t);
        const white = await term(ctx, kind, REF.x, t, { weights: ones, mean: 1 });
        expect(white.value).toBe(plain.value);
        // Two style images of one size side by side: their blend ½·a + ½·b is the statistics of both.
        const blended = target(ctx, kind, [style, second], [0.5, 0.5]);
        const joint = target(ctx, kind, [both], [1]);
        const [b, j] = [await term(ctx, kind, REF.x, blended), await term(ctx, kind, REF.x, joint)];
        expectClose([b.value], [j.value], 1e-5, `${kind} blend vs joint statistics`);
        for (const v of [...t, ...blended, ...joint, second]) v.release();
      });
      for (const v of [ones, both]) v.release();
    });
  }
});

describe('W2 and mean-std release what they make', () => {
  // On the counting device (src/gpu/counting.ts): a target made and prepared, then a step's term and
  // gradient (and a term without gradient, as a report's), leave nothing live once the target and
  // inputs are released; with a small binding the moments and Gram run band by band.
  for (const kind of ['w2', 'mean-std'] as const)
    for (const bindingBytes of [2 ** 27, 2048])
      it(`${kind}, binding ${bindingBytes} B: every tensor is released (masked and not)`, () => {
        const ctx = countingContext({ bindingBytes, subgroups: false });
        const [c, h, w] = [8, 16, 12];
        const [x, style, weights] = [ctx.empty([1, c, h, w]), ctx.empty([1, c, 10, 10]), ctx.empty([1, 1, h, w])];
        const base = ctx.memory().liveBytes;
        const t = target(ctx, kind, [style], [1]);
        for (const mask of [undefined, { weights, mean: 0.5 }])
          for (const grad of [true, false]) {
            const tape = new Tape(ctx, { grad });
            const xt = Tensor.leaf(x, grad);
            const loss = styleStatistic(kind).loss(tape, xt, t, mask);
            if (grad) tape.backward(loss, [xt])[0]!.release();
            tape.dispose();
          }
        for (const v of t) v.release();
        expect(ctx.memory().liveBytes).toBe(base);
      });
});

describe('W2 on a checkpointing tape', () => {
  const gpu = useGpu();
  // traceSqrtm is recorded with its value (Tape.record): outside the VGG's segments a recomputing
  // tape gives the gradient of a plain one, bit for bit.
  it('gives the same gradient as without recomputation', async () => {
    const ctx = gpu();
    const vgg = Vgg19.load(ctx, syntheticWeights(3, 2), { upTo: 2 });
    const image = Float64Array.from({ length: 3 * 12 * 10 }, (_, i) => Math.sin(i * 0.37) * 60);
    const style = Float64Array.from({ length: 3 * 12 * 10 }, (_, i) => Math.cos(i * 0.21) * 50);
    const features = (tape: Tape, x: Tensor) => vgg.extract(tape, x, [0, 2]);
    const targetTape = new Tape(ctx, { grad: false });
    const s = ctx.upload([1, 3, 12, 10], style);
    const targets = [...features(targetTape, Tensor.leaf(s)).values()].map((f) => target(ctx, 'w2', [f.value], [1]));
    targetTape.dispose();
    const gradient = async (recompute: boolean) => {
      const tape = new Tape(ctx, { recompute });
      const x = Tensor.leaf(ctx.upload([1, 3, 12, 10], image), true);
      const terms = [...features(tape, x).values()].map((f, i) => [W2.loss(tape, f, targets[i]!), 1] as const);
      const [g] = tape.backward(ops.weightedSum(tape, terms), [x]);
      const values = await g!.read();
      tape.dispose();
      for (const v of [g!, x.value]) v.release();
      return values;
    };
    const [plain, recomputed] = [await gradient(false), await gradient(true)];
    expect(plain.some((v) => v !== 0)).toBe(true);
    expect(Array.from(recomputed)).toEqual(Array.from(plain));
    for (const v of [s, ...targets.flat()]) v.release();
    vgg.dispose();
  });
});

describe('W2 and mean-std in the style job', () => {
  const gpu = useGpu();
  // Synthetic block 1, style at conv1_1 and conv1_2 (64 channels: W2's square roots stay cheap).
  const weights = syntheticWeights(3, 2);
  const settings = { contentLayers: [2], styleLayers: [0, 2], contentWeight: 0, autotune: false, lr: 0.08 } as const;
  const [content, style] = [texture(24, 20), texture(24, 24, 50, 9)];

  for (const styleLoss of ['w2', 'mean-std'] as const) {
    it(`${styleLoss}: a still image's style term falls at least 1.5× in 15 steps (seen: w2 2.2×, mean-std > 3×)`, async () => {
      const terms: number[] = [];
      const plan = planJob({ ...settings, styleLoss, size: 24, scales: 1, steps: 15, printEvery: 1 }, 24, 20, 1);
      await runStyleJob(gpu(), weights, content, [style], plan, { onProgress: (p) => terms.push(p.style!) });
      expect(terms.every(Number.isFinite)).toBe(true);
      expect(terms.at(-1)!).toBeLessThan(terms[0]! / 1.5);
    });

    it(`${styleLoss}: a video's frames each run, once`, async () => {
      const clip = makeClip(texture(30, 20), { width: 24, height: 20, frames: 3, pan: 1 });
      const frames = new Map<number, RgbaImage>();
      const plan = planVideo({ ...settings, styleLoss, size: 24, scales: 1, steps: 3 }, { frameSteps: 2 }, 24, 20, 1);
      const source = { count: clip.frames.length, read: async (i: number) => clip.frames[i]! };
      const store = {
        read: async (i: number) => frames.get(i) ?? null,
        write: async (i: number, image: RgbaImage) => void frames.set(i, image),
      };
      await runVideoJob(gpu(), weights, source, [style], plan, store);
      expect([...frames.keys()].sort()).toEqual([0, 1, 2]);
    });
  }
});

/** Features a and b [C, h, w] side by side: [C, h, 2w]. */
function concatenatedWidth(a: ArrayLike<number>, b: ArrayLike<number>, c: number, h: number, w: number): Float64Array {
  return Float64Array.from({ length: c * h * 2 * w }, (_, e) => {
    const [ch, y, x] = [Math.floor(e / (h * 2 * w)), Math.floor(e / (2 * w)) % h, e % (2 * w)];
    return x < w ? a[(ch * h + y) * w + x]! : b[(ch * h + y) * w + x - w]!;
  });
}
