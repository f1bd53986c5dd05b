// The memory plan counts the job's own code on a counting device (src/gpu/counting.ts,
// src/plan/memory-model.ts): no GPU here. Its accuracy against a real device's pool is
// test/memory-plan.test.ts's.

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeviceTensor, GpuContext } from '../src/gpu/index.js';
import { countingContext, forEachChunk, forEachDistinct } from '../src/gpu/counting.js';
import { SHADER_NAMES } from '../src/gpu/shader-names.js';
import { ShaderLibrary } from '../src/gpu/shaders.js';
import { loadShaders } from '../src/node/shaders.js';
import { conv3x3Forward, conv3x3InputGrad, convVariantsFor, reluForward } from '../src/kernels/index.js';
import { planJob } from '../src/plan/plan-job.js';
import { scalePeakBytes, type MemoryJob } from '../src/plan/memory-plan.js';
import { convShapesForStep, featureShape, moduleShapes, VGG19_FEATURES } from '../src/vgg/index.js';

const MiB = 2 ** 20;

describe('the counting device', () => {
  it("allocates nothing and runs nothing, while the context's pool counts every buffer and the peak", () => {
    const ctx = countingContext({ bindingBytes: 2 ** 27, subgroups: false });
    const x = ctx.upload([1, 64, 256, 256], { length: 64 * 256 * 256 }, 'x');
    const w = ctx.empty([64, 64, 3, 3]);
    const y = conv3x3Forward(ctx, x, w);
    const r = reluForward(ctx, y);
    expect(ctx.memory().liveBytes).toBe(3 * 64 * 256 * 256 * 4 + 64 * 64 * 9 * 4);
    for (const t of [x, y]) t.release();
    expect(ctx.memory()).toMatchObject({ liveBytes: r.bytes + w.bytes, peakLiveBytes: 3 * x.bytes + w.bytes });
    expect(ctx.dispatchCounts.get('relu_forward')).toBe(1);
    return expect(r.read()).rejects.toThrow(/counting device/);
  });

  it("knows each kernel's workgroup size, specialised by consts, as the shaders declare it", () => {
    const ctx = countingContext({ bindingBytes: 2 ** 27, subgroups: true });
    const library = new ShaderLibrary(loadShaders());
    for (const name of SHADER_NAMES) expect(ctx.workgroupSize(name), name).toEqual(library.workgroupSize(name));
    for (const consts of [{ WG: 64 }, { WG: 16, I_BLOCK: 8 }] as Array<Record<string, number>>)
      expect(ctx.workgroupSize('gram_forward_subgroup', consts)).toEqual(library.workgroupSize('gram_forward_subgroup', consts));
  });

  it('runs kernels past one binding band by band, as a device with that limit would', () => {
    const ctx = countingContext({ bindingBytes: 2 * MiB, subgroups: false });
    const x = ctx.empty([1, 64, 128, 128]); // 4 MiB: two bands of rows, each copied out and back
    conv3x3Forward(ctx, x, ctx.empty([64, 64, 3, 3]));
    expect(ctx.memory().peakLiveBytes).toBeGreaterThan(2 * x.bytes + 64 * 64 * 9 * 4);
  });

  it("runs each kind of a loop's repeats once (bands of rows, Winograd's chunks) and counts what running them all does", () => {
    const count = (everyRepeat: boolean) => {
      const ctx = countingContext({ bindingBytes: 2 * MiB, subgroups: false, everyRepeat });
      const variant = convVariantsFor(ctx).find((v) => v.name.startsWith('wino4'))!;
      // 300 rows of 64×96: four bands (the first, two alike, the last), each of many 64-tile chunks.
      const x = ctx.empty([1, 64, 300, 96]);
      const w = ctx.empty([64, 64, 3, 3]);
      const y = conv3x3Forward(ctx, x, w, undefined, { variant, reluInput: true });
      conv3x3InputGrad(ctx, y, w, { variant, mask: x }).release();
      return { memory: ctx.memory(), chunks: ctx.dispatchCounts.get('conv3x3_winograd_input')! };
    };
    const [all, once] = [count(true), count(false)];
    expect(once.memory).toMatchObject({ liveBytes: all.memory.liveBytes, peakLiveBytes: all.memory.peakLiveBytes });
    expect(all.chunks).toBeGreaterThan(40);
    expect(once.chunks).toBeLessThan(all.chunks / 4);
  });

  it('runs a repeat again where it starts from other live bytes (a sum the first item began, a cache another filled), and refuses a chunk that keeps a buffer', () => {
    // Like gramForward's bands: the first makes the sum, the others add a part to it.
    const sumOfBands = (everyRepeat: boolean, keys: string[]) => {
      const ctx = countingContext({ bindingBytes: 2 ** 27, subgroups: false, everyRepeat });
      const runs: string[] = [];
      let sum: DeviceTensor | null = null;
      forEachDistinct(
        ctx,
        keys,
        (k) => k,
        (k) => {
          runs.push(k);
          const part = ctx.empty([k === 'b' ? 512 : 256]);
          if (!sum) sum = part;
          else part.release();
        },
      );
      return { runs, memory: ctx.memory() };
    };
    const keys = ['a', 'a', 'a', 'b', 'a', 'a'];
    const [all, once] = [sumOfBands(true, keys), sumOfBands(false, keys)];
    expect(once.runs).toEqual(['a', 'a', 'b']);
    expect(once.memory).toMatchObject({ liveBytes: all.memory.liveBytes, peakLiveBytes: all.memory.peakLiveBytes });
    // An item that keeps a buffer (a cache) changes what the repeats after it start from.
    const ctx = countingContext({ bindingBytes: 2 ** 27, subgroups: false });
    const runs: string[] = [];
    const kept: DeviceTensor[] = [];
    forEachDistinct(
      ctx,
      ['a', 'a', 'b', 'a', 'a'],
      (k) => k,
      (k) => {
        runs.push(k);
        ctx.empty([1024]).release();
        if (k === 'b') kept.push(ctx.empty([16]));
      },
    );
    expect(runs).toEqual(['a', 'b', 'a']);
    const chunks: number[] = [];
    forEachChunk(ctx, 1000, 64, (start, n) => chunks.push(start, n));
    expect(chunks).toEqual([0, 64, 960, 40]);
    expect(() => forEachChunk(ctx, 1000, 64, () => kept.push(ctx.empty([16])))).toThrow(/left 64 bytes live/);
  });
});

describe('the memory plan, counted from the code that runs the step', () => {
  const job = (): MemoryJob => ({ ...planJob({ size: 64, scales: 1 }, 64, 64, 1), winograd: false, bindingBytes: Infinity });
  afterEach(() => {
    vi.doUnmock('../src/kernels/gram.js');
    vi.doUnmock('../src/gpu/counting.js');
    vi.resetModules();
  });

  it('sees a scratch buffer a launcher adds, which no hand-kept model of the graph would', async () => {
    const plain = scalePeakBytes(job(), 64, 64, false);
    const extra = 32 * MiB;
    // A planted fault: the Gram kernel's launcher takes a scratch buffer it releases before returning.
    vi.resetModules();
    vi.doMock('../src/kernels/gram.js', async (importOriginal) => {
      const real = await importOriginal<typeof import('../src/kernels/gram.js')>();
      const gramForward = (ctx: GpuContext, x: DeviceTensor, options?: Parameters<typeof real.gramForward>[2]) => {
        const scratch = ctx.empty([extra / 4], 'planted scratch');
        const g = real.gramForward(ctx, x, options);
        scratch.release();
        return g;
      };
      return { ...real, gramForward };
    });
    const planted = await import('../src/plan/memory-plan.js');
    const withScratch = planted.scalePeakBytes(job(), 64, 64, false);
    expect(withScratch - plain).toBeGreaterThan(0.9 * extra);
    expect(withScratch - plain).toBeLessThanOrEqual(extra);
  });

  it("plans a scale the same whether the loops' repeats run or not (bands, Winograd's chunks)", async () => {
    const banded = { ...job(), winograd: true, bindingBytes: 2 * MiB };
    const once = [false, true].map((recompute) => scalePeakBytes(banded, 160, 120, recompute));
    vi.resetModules();
    vi.doMock('../src/gpu/counting.js', async (importOriginal) => {
      const real = await importOriginal<typeof import('../src/gpu/counting.js')>();
      const countingContext: typeof real.countingContext = (limits) => real.countingContext({ ...limits, everyRepeat: true });
      return { ...real, countingContext };
    });
    const all = await import('../src/plan/memory-plan.js');
    expect([false, true].map((recompute) => all.scalePeakBytes(banded, 160, 120, recompute))).toEqual(once);
  });

  it("counts the histogram term: conv1_1's matched features, held through the backward", () => {
    const histogram = {
      ...planJob({ size: 64, scales: 1, histogramWeight: 1, histogramLayers: [0] }, 64, 64, 1),
      winograd: false,
      bindingBytes: Infinity,
    };
    const extra = scalePeakBytes(histogram, 64, 64, false) - scalePeakBytes(job(), 64, 64, false);
    expect(extra).toBeGreaterThanOrEqual(64 * 64 * 64 * 4); // R [1, 64, 64, 64], besides its tables and CDFs
  });

  it("counts the W2 statistic's matrices: the covariances and the square root's iterates (C × C at each style layer)", () => {
    const w2 = { ...planJob({ size: 64, scales: 1, styleLoss: 'w2' }, 64, 64, 1), winograd: false, bindingBytes: Infinity };
    const extra = scalePeakBytes(w2, 64, 64, false) - scalePeakBytes(job(), 64, 64, false);
    // At least the Newton–Schulz backward's a, q, E, q·a and the inner product at a 512-channel layer.
    expect(extra).toBeGreaterThanOrEqual(5 * 512 * 512 * 4);
  });

  it("counts style masks' regions: each region's masked features at each style layer, held for the Gram's backward", () => {
    const plan = (styleMaskCount?: number) => ({
      ...planJob({ size: 64, scales: 1 }, 64, 64, 2),
      styleMaskCount,
      winograd: false,
      bindingBytes: Infinity,
    });
    const extra = scalePeakBytes(plan(2), 64, 64, false) - scalePeakBytes(plan(), 64, 64, false);
    expect(extra).toBeGreaterThanOrEqual(2 * 64 * 64 * 64 * 4); // F ⊙ √w [1, 64, 64, 64] at conv1_1, per region
  });

  it('counts checkpointing as the tape runs it: less with recomputation', () => {
    expect(scalePeakBytes(job(), 256, 256, true)).toBeLessThan(scalePeakBytes(job(), 256, 256, false));
  });
});

describe("VGG-19's shapes, walked once", () => {
  it('halves each side at every pool, odd sides floored, and follows the channels of each block', () => {
    const shapes = moduleShapes(75, 50);
    expect(shapes).toHaveLength(VGG19_FEATURES.length);
    expect(shapes[0]).toMatchObject({ input: [3, 75, 50], output: [64, 75, 50] });
    expect(shapes[4]!.output).toEqual([64, 37, 25]);
    expect(featureShape(9, 75, 50)).toEqual([128, 18, 12]);
    expect(featureShape(36, 75, 50)).toEqual([512, 2, 1]);
    expect(shapes.every((s, i) => i === 0 || s.input === shapes[i - 1]!.output)).toBe(true);
  });

  it("lists each conv's forward and input-gradient shapes in order", () => {
    expect(convShapesForStep(32, 16, 7)).toEqual([
      { shape: [1, 3, 32, 16], cout: 64 },
      { shape: [1, 64, 32, 16], cout: 3 },
      { shape: [1, 64, 32, 16], cout: 64 },
      { shape: [1, 64, 32, 16], cout: 64 },
      { shape: [1, 64, 16, 8], cout: 128 },
      { shape: [1, 128, 16, 8], cout: 64 },
      { shape: [1, 128, 16, 8], cout: 128 },
      { shape: [1, 128, 16, 8], cout: 128 },
    ]);
  });
});
