// The memory plan (src/plan/memory-plan.ts, memory-model.ts): what it predicts a scale holds at
// once against the pool's measured peak, where it turns checkpointing on, and how the job and the
// command line refuse a budget that no size of the job fits.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userMessage } from '../src/cli/errors.js';
import { TensorTooLargeError } from '../src/gpu/index.js';
import { convTuningKey, releaseWinogradWeights, tuningFor, winogradCacheBytes } from '../src/kernels/index.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { syntheticWeights, writeImage } from '../src/index.js';
import { runStyleJob } from '../src/style/job.js';
import { checkMemory } from '../src/plan/memory-messages.js';
import {
  IMAGE_BOUND_WHOLE,
  largestFittingSide,
  planMemory,
  scalePeakBytes,
  tensorOverLimit,
  type MemoryJob,
  type ScaleMemory,
} from '../src/plan/memory-plan.js';
import { deepestLayer } from '../src/style/loss.js';
import { planJob } from '../src/plan/plan-job.js';
import { convShapesForStep } from '../src/vgg/index.js';
import { OptionError } from '../src/util/errors.js';
import { cli, PROGRESS_LINE } from './helpers/cli.js';
import { useGpu } from './helpers/gpu.js';
import { picture } from './helpers/pictures.js';

const gpu = useGpu();
const MiB = 2 ** 20;

const image = (side: number, seed: number) => ({
  width: side,
  height: side,
  data: Uint8Array.from({ length: side * side * 4 }, (_, i) => (i * 37 + seed * 91) % 251),
});

describe('the memory plan', () => {
  // Blocks 1–3 so that activations, not weights, make most of the peak.
  const blocks = { contentLayers: [12], styleLayers: [0, 5, 10], scales: 1, steps: 2, autotune: false } as const;

  it("predicts a job scale's peak within 1 % of the pool's measured peak at three sizes, with and without checkpointing", async () => {
    const ctx = gpu();
    const weights = syntheticWeights(2, 12);
    // The direct convolutions, whatever an autotuner chose before (Winograd's scratch is the plan's larger case).
    tuningFor(ctx).clear();
    for (const side of [48, 80, 112]) {
      for (const recompute of [false, true]) {
        const options = planJob({ ...blocks, size: side }, side, side, 1);
        options.memory = { budgetMiB: 1, scales: (options.memory!.scales as ScaleMemory[]).map((s) => ({ ...s, recompute })) };
        await ctx.sync();
        ctx.resetMemoryPeak();
        await runStyleJob(ctx, weights, image(side, 1), [image(side, 2)], options);
        await ctx.sync();
        const measured = ctx.memory().peakLiveBytes;
        const job: MemoryJob = {
          ...options,
          ...{ styles: [{ width: side, height: side }], convertsInput: false, subgroups: ctx.subgroupsOf8, winograd: false },
        };
        const predicted = scalePeakBytes(job, side, side, recompute);
        expect(Math.abs(predicted / measured - 1), `${side} px, recompute ${recompute}: ${predicted} vs ${measured}`).toBeLessThan(0.01);
      }
    }
  });

  it("draws a style image at the job's size, never under the deepest layer's minimum side, and predicts the job's peak", async () => {
    const ctx = gpu();
    tuningFor(ctx).clear();
    // 0.04 × 48 px is 2 px, under blocks 1–3's 4: the job draws the style image at 4×4 (style scale 1/12).
    const options = planJob({ ...blocks, size: 48, styleScale: 0.04 }, 48, 48, 1);
    await ctx.sync();
    ctx.resetMemoryPeak();
    await runStyleJob(ctx, syntheticWeights(2, 12), image(48, 1), [image(48, 2)], options);
    await ctx.sync();
    const measured = ctx.memory().peakLiveBytes;
    const job: MemoryJob = { ...options, convertsInput: false, subgroups: ctx.subgroupsOf8, winograd: false };
    const predicted = scalePeakBytes(job, 48, 48, false);
    expect(predicted).toBe(scalePeakBytes({ ...job, styleScale: 1 / 12 }, 48, 48, false));
    expect(Math.abs(predicted / measured - 1), `${predicted} vs ${measured}`).toBeLessThan(0.01);
  });

  it("keeps no more of Winograd's transformed weights than the plan allows (none for a style pass of another size), and none after", async () => {
    const ctx = gpu();
    const weights = syntheticWeights(2, 12);
    const side = 48;
    // The style image at half the content's size: at 24 px block 1 covers ≤ 128 tiles of F(4×4)
    // (at 48 px it does not), so a style pass that kept its weights would pass the plan.
    const options = planJob({ ...blocks, size: side, steps: 3, printEvery: 1, styleScale: 0.5 }, side, side, 1);
    const variant = ctx.subgroupsOf8 ? 'sg-wino4-co32-t8' : 'wino4-co8-t8';
    tuningFor(ctx).clear();
    for (const size of [side, side / 2])
      for (const { shape, cout } of convShapesForStep(size, size, 12)) tuningFor(ctx).set(convTuningKey(shape, cout), variant);
    releaseWinogradWeights(ctx);
    try {
      const allowed = options.memory!.scales[0]!.winogradCacheBytes;
      expect(allowed).toBeGreaterThan(0);
      for (const limit of [allowed, 0]) {
        options.memory = {
          ...options.memory!,
          scales: (options.memory!.scales as ScaleMemory[]).map((s) => ({ ...s, winogradCacheBytes: limit })),
        };
        const kept: number[] = [];
        const before = ctx.dispatchCounts.get('conv3x3_winograd_gemm_subgroup') ?? 0;
        await runStyleJob(ctx, weights, image(side, 1), [image(side, 2)], options, {
          onProgress: () => kept.push(winogradCacheBytes(ctx)),
        });
        expect((ctx.dispatchCounts.get('conv3x3_winograd_gemm_subgroup') ?? 0) - before).toBeGreaterThan(0);
        expect(kept.length).toBe(3);
        if (limit > 0) expect(Math.min(...kept)).toBeGreaterThan(0);
        expect(Math.max(...kept), `kept per step: ${kept.join(', ')}; allowed ${limit}`).toBeLessThanOrEqual(limit);
        expect(winogradCacheBytes(ctx)).toBe(0);
      }
    } finally {
      tuningFor(ctx).clear();
    }
  });

  it("counts the band scratch of ops over tensors larger than one binding: within 1 % of the pool's peak with bindings capped", async () => {
    const ctx = gpu();
    // Blocks 1–2 at 112 px with bindings capped at 2 MiB: block 1's convs (3.1 MiB of output),
    // its pool and conv1_1's Gram run in two bands each; the weights (up to conv2_2's 576 KiB) and
    // the image are bound whole. The band scratch is a fifth of the peak here.
    const bindingBytes = 2 * MiB;
    const side = 112;
    const weights = syntheticWeights(2, 7);
    tuningFor(ctx).clear();
    const shallow = { contentLayers: [7], styleLayers: [0, 5], scales: 1, steps: 2, autotune: false, size: side } as const;
    for (const recompute of [false, true]) {
      const options = planJob(shallow, side, side, 1);
      options.memory = { budgetMiB: 1, scales: (options.memory!.scales as ScaleMemory[]).map((s) => ({ ...s, recompute })) };
      await ctx.sync();
      ctx.resetMemoryPeak();
      ctx.capBinding(bindingBytes);
      try {
        await runStyleJob(ctx, weights, image(side, 1), [image(side, 2)], options);
        await ctx.sync();
      } finally {
        ctx.capBinding(null);
      }
      const measured = ctx.memory().peakLiveBytes;
      const job: MemoryJob = {
        ...options,
        ...{ styles: [{ width: side, height: side }], convertsInput: false, subgroups: ctx.subgroupsOf8, winograd: false },
      };
      const predicted = scalePeakBytes({ ...job, bindingBytes }, side, side, recompute);
      const unbanded = scalePeakBytes({ ...job, bindingBytes: Infinity }, side, side, recompute);
      const figures = `recompute ${recompute}: measured ${measured}, predicted ${predicted}, without band scratch ${unbanded}`;
      expect(Math.abs(predicted / measured - 1), figures).toBeLessThan(0.01);
      expect(1 - unbanded / measured, `without the band scratch: ${figures}`).toBeGreaterThan(0.1);
    }
  });

  it('plans checkpointing only for the scales whose plain peak is over the budget', () => {
    const options = planJob({ size: 512, scales: 3 }, 512, 512, 1);
    const [small, , large] = options.memory!.scales;
    const job: MemoryJob = { ...options };
    // Winograd's kept weights go first: a budget just under the plain peak with them drops them...
    expect(large!.winogradCacheBytes).toBeGreaterThan(0);
    const withoutCache = scalePeakBytes(job, 512, 512, false, options.scales[1], false);
    expect(withoutCache).toBeLessThan(large!.plainBytes);
    const tight = planMemory(job, Math.floor((large!.plainBytes - 1) / MiB)).scales[2]!;
    expect([tight.winogradCacheBytes, tight.recompute, tight.plainBytes]).toEqual([0, false, withoutCache]);
    // ...and one under the plain peak without them checkpoints.
    const budget = Math.floor((withoutCache - 1) / MiB);
    const plan = planMemory(job, budget);
    expect(plan.scales.map((s) => s.recompute)).toEqual([false, false, true]);
    expect(plan.scales.map((s) => s.winogradCacheBytes > 0)).toEqual([true, true, false]);
    expect(plan.scales[2]!.recomputeBytes).toBeLessThan(plan.scales[2]!.plainBytes);
    expect(small!.plainBytes).toBeLessThan(large!.plainBytes);
    expect(planMemory(job, Math.ceil(large!.plainBytes / MiB)).scales.every((s) => !s.recompute)).toBe(true);
  });

  it('refuses a budget too small before any work, naming the largest size that fits and --max-memory', () => {
    // planJob plans; checkMemory refuses (the Node edge calls it before the weights, the job before any GPU work).
    const check = (settings: Parameters<typeof planJob>[0]) => () => checkMemory(planJob(settings, 1024, 768, 1).memory!);
    let error: unknown;
    try {
      check({ size: 1024, maxMemory: 600 })();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OptionError);
    expect((error as OptionError).option).toBe('maxMemory');
    const line = userMessage(error)!;
    expect(line).not.toContain('\n');
    const largest = Number(/at most (\d+) px/.exec(line)?.[1]);
    expect(line).toMatch(/^--max-memory is 600 MiB, too little for the 1024×768 scale, which needs \d+ MiB .* with checkpointing/);
    // The size named fits; one pixel more does not.
    expect(check({ size: largest, maxMemory: 600 })).not.toThrow();
    expect(check({ size: largest + 1, maxMemory: 600 })).toThrow(OptionError);
    expect(check({ size: 1024, maxMemory: Number(/at least (\d+) MiB/.exec(line)![1]) })).not.toThrow();
  });

  it("planJob refuses such a plan once it has the device's limits (the one check; the job takes the plan as it is)", () => {
    const ctx = gpu();
    const settings = { size: 64, scales: 1, steps: 1, maxMemory: 1 };
    // Before the device exists the settings are checked and the memory is planned, not refused.
    expect(planJob(settings, 64, 64, 1).memory.over).toBeDefined();
    const limits = { bindingBytes: ctx.bindingBytes, bufferBytes: ctx.maxBufferBytes };
    expect(() => planJob(settings, 64, 64, 1, limits)).toThrow(/^maxMemory is 1 MiB, too little/);
    expect(() => planJob({ ...settings, maxMemory: 4000 }, 64, 64, 1, limits)).not.toThrow();
  });

  it("defaults to 3/4 of the host's memory where the edge gives it, 2048 MiB where it does not", () => {
    expect(planJob({}, 64, 48, 1, { memoryBytes: 8 * 2 ** 30 }).memory!.budgetMiB).toBe(6144);
    expect(planJob({}, 64, 48, 1).memory!.budgetMiB).toBe(2048);
    expect(planJob({ size: 64, scales: 1, maxMemory: 300 }, 64, 48, 1, { memoryBytes: 8 * 2 ** 30 }).memory!.budgetMiB).toBe(300);
  });

  it('the pool destroys spare buffers rather than let live + pooled pass the limit (as the job sets it)', async () => {
    const ctx = gpu();
    await ctx.sync();
    ctx.resetMemoryPeak();
    const base = ctx.memory().liveBytes;
    ctx.limitMemory(base + 3 * MiB);
    // 256 KiB, 512 KiB, … 2 MiB, each released before the next: 9 MiB allocated in all without a limit.
    for (let i = 1; i <= 8; i++) ctx.empty([i * 65536], 'spare').release();
    await ctx.sync();
    ctx.limitMemory(Infinity);
    expect(ctx.memory().peakBytes - base).toBeLessThanOrEqual(3 * MiB);
    expect(ctx.memory().peakLiveBytes - base).toBe(2 * MiB);
  });

  it('the largest size grows with the budget, and more with checkpointing', () => {
    const job: MemoryJob = { ...planJob({}, 64, 64, 1) };
    const square = { width: 1, height: 1 };
    const [small, large] = [600, 2400].map((mib) => largestFittingSide(job, square, mib * MiB));
    expect(large).toBeGreaterThan(small!);
    expect(largestFittingSide(job, square, 600 * MiB, () => true, false)).toBeLessThan(small!);
  });
});

describe('the tensor limits', () => {
  const job: MemoryJob = { ...planJob({}, 64, 64, 1) };
  const square = { width: 1, height: 1 };

  it('bound activations by the buffer limit and, for Adam, only one plane of the image by the binding limit', () => {
    // lavapipe's limits: conv1_1's output passes 128 MiB past 724 px, but it runs band by band, as do
    // Adam's image kernels; resize's column pass binds one plane [1, 1, S, S] whole (5792 px).
    const lavapipe = { bindingBytes: 2 ** 27, bufferBytes: 2 ** 32 };
    expect(largestFittingSide({ ...job, ...lavapipe }, square, Infinity)).toBe(Math.floor(Math.sqrt(2 ** 32 / 4 / 64)));
    expect(tensorOverLimit(deepestLayer(job.loss), 4097, 4097, lavapipe)).toMatchObject({
      shape: [1, 64, 4097, 4097],
      limit: 'maxBufferSize',
    });
    // Where one buffer may be much larger than one binding, the plane is the bound.
    const wide = { bindingBytes: 2 ** 27, bufferBytes: 2 ** 40 };
    expect(largestFittingSide({ ...job, ...wide }, square, Infinity)).toBe(Math.floor(Math.sqrt(2 ** 27 / 4)));
    expect(tensorOverLimit(deepestLayer(job.loss), 5793, 5793, wide)).toMatchObject({
      shape: [1, 1, 5793, 5793],
      limit: 'maxStorageBufferBindingSize',
    });
    // Limits not known are not checked: the budget alone bounds the size.
    expect(largestFittingSide(job, square, Infinity)).toBeGreaterThan(2 ** 16);
  });

  it("bound the image by the binding limit while a kernel on the optimiser's path binds it whole, and name that kernel", () => {
    // Every image kernel of Adam's path runs band by band; L-BFGS's vector kernels bind the image whole.
    const lavapipe = { bindingBytes: 2 ** 27, bufferBytes: 2 ** 32 };
    expect(IMAGE_BOUND_WHOLE.adam).toEqual([]);
    expect(IMAGE_BOUND_WHOLE.lbfgs).toEqual(["L-BFGS's dot, norms and axpy_dot"]);
    const [adam, lbfgs] = (['adam', 'lbfgs'] as const).map((kind) => planJob({ optimizer: kind }, 64, 64, 1).optimizer!);
    expect(tensorOverLimit(deepestLayer(job.loss), 3345, 3345, { ...lavapipe, optimizer: adam })).toBeNull();
    const over = tensorOverLimit(deepestLayer(job.loss), 3345, 3345, { ...lavapipe, optimizer: lbfgs })!;
    expect(over).toMatchObject({ shape: [1, 3, 3345, 3345], limit: 'maxStorageBufferBindingSize' });
    expect(over.name).toContain(IMAGE_BOUND_WHOLE.lbfgs[0]);
    expect(tensorOverLimit(deepestLayer(job.loss), 3344, 3344, { ...lavapipe, optimizer: lbfgs })).toBeNull();
  });

  it('where a size breaks both, name the one whose largest size passes the other too', () => {
    const lbfgs = planJob({ optimizer: 'lbfgs' }, 64, 64, 1).optimizer!;
    for (const [limits, side, limit] of [
      [{ bindingBytes: 2 ** 27, bufferBytes: 2 ** 32 }, 6000, 'maxBufferSize'],
      [{ bindingBytes: 2 ** 27, bufferBytes: 2 ** 32, optimizer: lbfgs }, 5000, 'maxStorageBufferBindingSize'],
      [{ bindingBytes: 2 ** 31, bufferBytes: 2 ** 31 }, 20000, 'maxBufferSize'],
    ] as const) {
      const over = tensorOverLimit(deepestLayer(job.loss), side, side, limits)!;
      expect(over.limit).toBe(limit);
      const error = new TensorTooLargeError(over.shape, over.bytes, over.limitBytes, over.name, over.limit);
      expect(error.largestSide, over.limit).toBe(largestFittingSide({ ...job, ...limits }, square, Infinity));
    }
  });

  it('the memory refusal names a size within them', () => {
    const limits = { bindingBytes: 2 ** 27, bufferBytes: 2 ** 32 };
    // 18000 MiB allows about 3560 px with checkpointing: less than the limits (4096 px), so the budget is the bound.
    const plan = planMemory({ ...job, ...limits, scales: [{ width: 4000, height: 4000, steps: 1, lrDecayEvery: 1 }] }, 18000);
    expect(plan.over?.largestSide).toBe(largestFittingSide({ ...job, ...limits }, square, 18000 * MiB));
    expect(plan.over?.largestSide).toBeGreaterThan(3344);
    expect(plan.over?.largestSide).toBeLessThan(4096);
  });
});

describe('the command line', () => {
  const work = mkdtempSync(join(tmpdir(), 'wgpu-style-memory-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  beforeAll(async () => {
    writeWeightsFile(join(work, 'syn.bin'), syntheticWeights(1));
    for (const name of ['a.png', 'b.png']) await writeImage(join(work, name), picture(64, 48, name === 'a.png' ? 'content' : 'style'));
  });
  const run = (args: string[]) => cli(['a.png', 'b.png', '--weights', 'syn.bin', '--offline', ...args], { cwd: work });

  it('checks --max-memory and refuses a scale that cannot fit, in one line without a stack trace', async () => {
    const [zero, text, small] = await Promise.all([
      run(['--max-memory', '0']),
      run(['--max-memory', 'lots']),
      run(['--max-memory', '300', '--size', '512', '--scales', '1']),
    ]);
    const line = (r: { code: number | null; stderr: string }) => {
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr
        .trimEnd()
        .split('\n')
        .filter((l) => !PROGRESS_LINE.test(l));
      expect(lines, r.stderr).toHaveLength(1);
      return lines[0]!;
    };
    expect(line(zero)).toBe('wgpu-style: --max-memory must be a whole number >= 1, got 0');
    expect(line(text)).toBe('wgpu-style: --max-memory must be a number, got "lots"');
    expect(line(small)).toMatch(/^wgpu-style: --max-memory is 300 MiB, too little for the 512×384 scale, .*at most \d+ px/);
  });

  it('info shows the binding and buffer limits, the budget and the largest square a full step fits', async () => {
    const [plain, budget] = await Promise.all([cli(['info'], { cwd: work }), cli(['info', '--max-memory', '600'], { cwd: work })]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/max storage binding: \d+ MiB, max buffer: \d+ MiB/);
    expect(plain.stdout).toMatch(/memory budget: \d+ MiB \(the default, 3\/4 of this machine's/);
    expect(plain.stdout).toMatch(/largest square image a full step fits \(default settings, Adam\): (\d+)×\1 px/);
    // Activations are bounded by the buffer limit (kernels bind them band by band), one plane of the image by the binding limit.
    const bounds =
      /: (\d+)×\d+ px \(the buffer limit allows (\d+) px: .*; the binding limit (\d+) px: one plane .*; the budget (\d+) px with checkpointing/;
    const [largest, buffer, binding, budgetSide] = bounds.exec(plain.stdout)!.slice(1).map(Number);
    const bindingMiB = Number(/max storage binding: (\d+) MiB/.exec(plain.stdout)![1]);
    expect(binding).toBe(Math.floor(Math.sqrt((bindingMiB * MiB) / 4)));
    // The side where conv1_1's output would pass the binding limit no longer caps the size.
    expect(buffer).toBeGreaterThanOrEqual(Math.floor(Math.sqrt((bindingMiB * MiB) / 4 / 64)));
    expect(largest).toBe(Math.min(buffer!, binding!, budgetSide!));
    expect(budget.stdout).toMatch(/memory budget: 600 MiB \(--max-memory\)/);
    const side = (out: string) => Number(/fits \(default settings, Adam\): (\d+)×/.exec(out)![1]);
    expect(side(budget.stdout)).toBeLessThanOrEqual(side(plain.stdout));
  });
});
