// One full style step (seed loss through VGG-19 0..28, backward, Adam) on random images with
// synthetic weights — the same work as with real weights — for timing and profiling.

import type { GpuContext, KernelTiming } from '../src/gpu/index.js';
import { Tape, Tensor } from '../src/graph/index.js';
import { syntheticWeights } from '../src/io/weights/synthetic.js';
import { adamStep } from '../src/kernels/index.js';
import { computeTargets, releaseTargets, styleTransferLoss } from '../src/style/loss.js';
import { SEED_LOSS } from '../src/plan/settings.js';
import { scalePeakBytes } from '../src/plan/memory-plan.js';
import { StyleNetwork } from '../src/style/network.js';
import { Vgg19 } from '../src/vgg/index.js';

export interface StyleStep {
  step(t: number): void;
  dispose(): void;
}

/** An image size: the side of a square, or [height, width]. */
export type StepSize = number | readonly [number, number];

export function stepDims(size: StepSize): [number, number] {
  return typeof size === 'number' ? [size, size] : [size[0], size[1]];
}

/** "128" (a square) or "100x200" (height × width, the PyTorch seed's shape). */
export function parseStepSize(text: string): [number, number] {
  const match = /^(\d+)(?:x(\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`a step size must be N or HxW (e.g. 128 or 100x200), got "${text}"`);
  return [Number(match[1]), Number(match[2] ?? match[1])];
}

export interface StepOptions {
  /** VGG-19's ReLUs inside the convs (default true; false to measure what that saves). */
  fuseRelu?: boolean;
  /** Checkpointing: recompute each VGG block's activations in the backward (default false). */
  recompute?: boolean;
}

export function makeStyleStep(ctx: GpuContext, size: StepSize, options: StepOptions = {}): StyleStep {
  const [height, width] = stepDims(size);
  const shape = [1, 3, height, width];
  const random = () => Float32Array.from({ length: 3 * height * width }, (_, i) => Math.sin(i * 7.31) * 1.5);
  const net = new StyleNetwork(Vgg19.load(ctx, syntheticWeights(3), { upTo: 28, fuseRelu: options.fuseRelu }));
  const [content, style] = [ctx.upload(shape, random()), ctx.upload(shape, random().reverse())];
  const targets = computeTargets(ctx, net, content, [style], SEED_LOSS);
  const param = ctx.upload(shape, random());
  const [m, v] = [ctx.zeros(shape), ctx.zeros(shape)];
  const image = Tensor.leaf(param, true);
  return {
    step(t: number) {
      const tape = new Tape(ctx, { recompute: options.recompute });
      const [grad] = tape.backward(styleTransferLoss(tape, net, image, targets, SEED_LOSS).total, [image]);
      adamStep(ctx, { param, grad: grad!, m, v }, t, { lr: 0.01 });
      grad!.release();
      tape.dispose();
      ctx.submit();
    },
    dispose() {
      releaseTargets(targets);
      for (const t of [content, style, param, m, v]) t.release();
      net.vgg.dispose();
    },
  };
}

/**
 * Seconds per step (after one warm-up step) and GPU tensor memory, weights included: the most
 * ever allocated (peakBytes, the pool's spare buffers included) and the most live at once
 * (peakLiveBytes: what the step needs).
 */
export async function timeStyleStep(
  ctx: GpuContext,
  size: StepSize,
  steps: number,
  options: StepOptions = {},
): Promise<{ secondsPerStep: number; recordMs: number; peakBytes: number; peakLiveBytes: number }> {
  await ctx.sync();
  ctx.resetMemoryPeak();
  const s = makeStyleStep(ctx, size, options);
  s.step(1);
  await ctx.sync();
  const started = performance.now();
  let recording = 0;
  for (let t = 2; t <= steps + 1; t++) {
    const before = performance.now();
    s.step(t);
    recording += performance.now() - before;
  }
  await ctx.sync();
  const secondsPerStep = (performance.now() - started) / 1000 / steps;
  s.dispose();
  const { peakBytes, peakLiveBytes } = ctx.memory();
  // recordMs: the main thread's time recording and submitting one step (the GPU runs meanwhile).
  return { secondsPerStep, recordMs: recording / steps, peakBytes, peakLiveBytes };
}

/** GPU time of every dispatch of one step (timestamp queries). */
export async function profileStyleStep(ctx: GpuContext, size: StepSize): Promise<KernelTiming[]> {
  const s = makeStyleStep(ctx, size);
  s.step(1);
  await ctx.sync();
  ctx.startProfiling();
  s.step(2);
  const timings = await ctx.stopProfiling();
  s.dispose();
  return timings;
}

/**
 * The memory plan's peak for this step (src/plan/memory-plan.ts): a job's scale of this size with
 * the seed loss and Adam, which holds one image-sized vector more than this step (its last good image),
 * with Winograd's scratch and weight cache counted whether or not the tuned convolutions use it.
 */
export function stepPeakBytes(height: number, width: number, recompute: boolean, subgroups: boolean): number {
  const job = { scales: [], loss: SEED_LOSS, pooling: 'max', styleScale: 1, convertsInput: false, subgroups } as const;
  return scalePeakBytes(job, width, height, recompute);
}
