// The style-transfer job: for each scale, resize the images, compute the targets once, then run
// the optimiser (Adam or L-BFGS, src/optim/optimizer.ts) on the image, in the normalised space, against
// the Gatys loss; each scale starts from the upscaled result of the one before. Browser-safe:
// images in, image out, progress through hooks.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { autotuneConv, channelAffineForward, limitWinogradCache, releaseWinogradWeights, resize, tuningFor } from '../kernels/index.js';
import { StoppedBeforeStartError } from '../util/errors.js';
import { uniformRandom } from '../util/random.js';
import { convShapesForStep, Vgg19, type VggWeights } from '../vgg/index.js';
import { checkResumable, type JobState } from './job-state.js';
import { lossNormalizers, RGB_TO_NORMALIZED } from './convention.js';
import { normalizedToRgba, rgbToNormalized, uploadImage, type RgbaImage } from './image-tensor.js';
import { computeTargets, deepestLayer, releaseTargets, type LossConfig, type Targets } from './loss.js';
import { StyleNetwork } from './network.js';
import { styleImageSize } from './sizes.js';
import { createOptimizer } from '../optim/optimizer.js';
import { type Optimizer } from '../optim/types.js';
import { ScaleRun } from './scale-run.js';
import type { Scale } from './job-types.js';
import type { JobMemory, StyleHooks, StyleOptions, StyleProgress, StyleResult } from './job-types.js';

export type { StyleHooks, StyleOptions, StyleProgress, StyleResult };

type Stop = { reason: 'aborted' | 'diverged'; message: string };

export async function runStyleJob(
  ctx: GpuContext,
  weights: VggWeights,
  content: RgbaImage,
  styles: readonly RgbaImage[],
  options: StyleOptions,
  hooks: StyleHooks = {},
): Promise<StyleResult> {
  const job = new StyleJob(ctx, weights, content, styles, options, hooks);
  // The pool gives back spare buffers rather than let live + pooled pass the budget.
  ctx.limitMemory(job.memory.budgetMiB * 2 ** 20);
  try {
    return await job.run();
  } finally {
    job.dispose();
    ctx.limitMemory(Infinity);
    limitWinogradCache(ctx, Infinity);
  }
}

class StyleJob {
  private readonly net: StyleNetwork;
  private readonly loss: LossConfig;
  private readonly blend: number[];
  private readonly contentRgb: DeviceTensor;
  private readonly styleRgb: DeviceTensor[];
  /** Each style image's size as given (its tensor may be smaller: only what the scales need). */
  private readonly styleSizes: Array<{ width: number; height: number }>;
  private readonly history: StyleProgress[] = [];
  private readonly started = performance.now();
  private readonly optimizer: Optimizer;
  private image: DeviceTensor | null = null;
  /** Loss evaluations made before the scale in progress. */
  private evaluations = 0;
  /** The deepest VGG layer the loss uses. */
  private readonly deepest: number;
  /** Each scale's planned peak and whether it recomputes. */
  readonly memory: JobMemory;

  constructor(
    private readonly ctx: GpuContext,
    weights: VggWeights,
    content: RgbaImage,
    styles: readonly RgbaImage[],
    private readonly options: StyleOptions,
    private readonly hooks: StyleHooks,
  ) {
    // planJob (src/plan/plan-job.ts) checked the options against the settings' rules, the device and
    // the memory budget: the job takes them as they are.
    const given = options.styleBlend ?? styles.map(() => 1);
    const blendSum = given.reduce((a, b) => a + b, 0);
    this.blend = given.map((b) => (blendSum > 0 ? b / blendSum : 0));
    this.deepest = deepestLayer(options.loss);
    this.memory = options.memory;
    this.optimizer = createOptimizer(ctx, options);
    this.net = new StyleNetwork(Vgg19.load(ctx, weights, { upTo: this.deepest, pooling: options.pooling }));
    const normalize = options.normalizeConvention ?? true;
    const k = normalize ? this.net.inputScale : 1;
    this.loss = { ...options.loss, ...lossNormalizers(k) };
    // Images go to the device already shrunk to the largest size a scale needs, so a photo of any
    // size costs the working size's memory, not its own.
    const largest = (sizes: Array<{ width: number; height: number }>) => ({
      width: Math.max(...sizes.map((x) => x.width)),
      height: Math.max(...sizes.map((x) => x.height)),
    });
    this.contentRgb = uploadImage(ctx, content, 'content image', largest(options.scales));
    this.styleSizes = styles.map((s) => ({ width: s.width, height: s.height }));
    this.styleRgb = styles.map((s, i) =>
      uploadImage(ctx, s, `style image ${i + 1}`, largest(options.scales.map((scale) => this.styleSize(s, scale)))),
    );
  }

  async run(): Promise<StyleResult> {
    const scales = this.options.scales;
    const resume = this.hooks.resume;
    if (resume) {
      checkResumable(resume, this.options.scales, this.options.optimizer);
      this.evaluations = resume.evaluations - resume.step;
    }
    for (let s = resume ? resume.scale - 1 : 0; s < scales.length; s++) {
      const stopped = await this.runScale(s);
      if (stopped) return this.finish(stopped.reason, stopped.message);
    }
    return this.finish(null, null);
  }

  dispose(): void {
    for (const t of [this.image, this.contentRgb, ...this.styleRgb]) t?.release();
    this.net.vgg.dispose();
    releaseWinogradWeights(this.ctx);
  }

  private async runScale(s: number): Promise<Stop | null> {
    const scale = this.options.scales[s]!;
    const { ctx } = this;
    const resume = this.resumeAt(s);
    // A resumed run uses the variants the first one chose, so that it computes the same numbers
    // (for this run only: the tuning file never keeps a checkpoint's choices).
    for (const [key, variant] of Object.entries(resume?.tuning ?? {})) tuningFor(ctx).borrow(key, variant);
    // Winograd's transformed weights: the steps keep those that pay at this scale's size, up to the
    // bytes its plan allows, and the variants are timed so; the targets' single passes keep none.
    const kept = this.memory.scales[s]!.winogradCacheBytes;
    releaseWinogradWeights(ctx);
    limitWinogradCache(ctx, kept);
    if (this.options.autotune) {
      await autotuneConv(ctx, convShapesForStep(scale.height, scale.width, this.net.vgg.depth), {
        signal: this.hooks.signal,
        onStart: (shapes) =>
          this.hooks.log?.(`tuning the convolutions for ${scale.width}×${scale.height} on this adapter (${shapes} shapes, once)`),
      });
    }
    limitWinogradCache(ctx, 0);
    const content = rgbToNormalized(this.ctx, this.contentRgb, scale.width, scale.height);
    const styles = this.styleRgb.map((rgb, i) => {
      const size = this.styleSize(this.styleSizes[i]!, scale);
      return rgbToNormalized(this.ctx, rgb, size.width, size.height);
    });
    const targets = computeTargets(ctx, this.net, content, styles, this.loss, this.blend);
    limitWinogradCache(ctx, kept);
    for (const t of styles) t.release();
    const previous = this.image;
    if (resume) this.image = ctx.upload([1, 3, scale.height, scale.width], resume.image, 'image');
    else this.image = previous ? resize(ctx, previous, scale.height, scale.width) : this.initialImage(content, scale);
    previous?.release();
    content.release();
    try {
      return await this.optimise(s, scale, targets);
    } finally {
      releaseTargets(targets);
    }
  }

  private async optimise(s: number, scale: Scale, targets: Targets): Promise<Stop | null> {
    const { ctx, optimizer, hooks } = this;
    const resume = this.resumeAt(s);
    const run = new ScaleRun(
      {
        ...{ ctx, net: this.net, loss: this.loss, targets, image: this.image!, index: s, scales: this.options.scales.length, scale },
        ...{ printEvery: this.options.printEvery, signal: hooks.signal, started: this.started, readsLosses: optimizer.readsLosses },
        recompute: this.memory.scales[s]!.recompute,
        evaluationsBefore: this.evaluations,
        onProgress: (p) => {
          this.history.push(p);
          hooks.onProgress?.(p);
        },
      },
      resume?.step ?? 0,
    );
    optimizer.begin(this.image!, scale, resume && { step: resume.step, state: resume.optimizer });
    // At most one step waits in the queue behind the one the GPU runs (Adam reads no loss between
    // reports): the loop yields to the event loop every step, so an abort is seen within a step.
    let queued: Promise<unknown> | null = null;
    try {
      while (run.step < scale.steps) {
        if (queued) await queued;
        const before = run.step;
        if (hooks.signal?.aborted) return await this.abort(s, scale, before, run.evaluations);
        const end = await optimizer.step(run, scale.steps - before);
        queued = ctx.device.queue.onSubmittedWorkDone();
        const diverged = await run.settle(optimizer.iteration, end === 'converged', optimizer.ended ?? undefined);
        if (diverged) return { reason: 'diverged', message: diverged };
        if (end === 'aborted') return await this.abort(s, scale, before, run.evaluations - (run.step - before));
        await this.atIntervals(s, scale, before, run, end !== 'converged');
        if (end === 'converged') break;
      }
      return null;
    } finally {
      this.evaluations = run.evaluations;
      optimizer.end();
      run.dispose();
    }
  }

  /**
   * Snapshots and checkpoints due in the evaluations (before, run.step] a step made. No checkpoint
   * where a tolerance ends the scale: a run resumed there would go on with the scale.
   */
  private async atIntervals(s: number, scale: Scale, before: number, run: ScaleRun, goesOn: boolean): Promise<void> {
    const crossed = (every: number) => every > 0 && Math.floor(run.step / every) > Math.floor(before / every);
    const { saveEvery } = this.options;
    if (crossed(saveEvery) && this.hooks.onSnapshot) {
      await this.hooks.onSnapshot(await this.output(), { scale: s + 1, step: Math.floor(run.step / saveEvery) * saveEvery });
    }
    const checkpoint = this.hooks.checkpoint;
    const last = s === this.options.scales.length - 1 && run.step === scale.steps;
    if (checkpoint && crossed(checkpoint.every) && !last && goesOn) await this.saveState(s, scale, run.step, run.evaluations);
  }

  /** Stops the run after `step` evaluations of scale s, saving a checkpoint if they are on. */
  private async abort(s: number, scale: Scale, step: number, evaluations: number): Promise<Stop> {
    // No step made by this run: its image is the start (or the checkpoint's), not worth an output or a checkpoint.
    if (evaluations === (this.hooks.resume?.evaluations ?? 0)) throw new StoppedBeforeStartError();
    await this.saveState(s, scale, step, evaluations);
    return { reason: 'aborted', message: `stopped after step ${step} of scale ${s + 1}` };
  }

  /** A style image's size at a scale (sizes.ts). */
  private styleSize(style: { width: number; height: number }, scale: Scale): { width: number; height: number } {
    return styleImageSize(style, scale, this.options.styleScale, this.deepest);
  }

  /** The state to resume from if it is at scale s (0-based). */
  private resumeAt(s: number): JobState | undefined {
    const resume = this.hooks.resume;
    return resume && resume.scale === s + 1 ? resume : undefined;
  }

  /** Reads the optimiser's state (after `step` evaluations of scale s) and hands it to the checkpoint hook. */
  private async saveState(s: number, scale: Scale, step: number, evaluations: number): Promise<void> {
    const checkpoint = this.hooks.checkpoint;
    if (!checkpoint) return;
    const [image, optimizer] = [await this.image!.read(), await this.optimizer.state()];
    const tuning = tuningFor(this.ctx).record();
    await checkpoint.write({ scale: s + 1, step, evaluations, width: scale.width, height: scale.height, image, optimizer, tuning });
  }

  private initialImage(content: DeviceTensor, scale: Scale): DeviceTensor {
    const init = this.options.init;
    if (init === 'content') return this.ctx.copy(content, 'image');
    if (init === 'random') {
      const next = uniformRandom(this.options.seed);
      const noise = {
        width: scale.width,
        height: scale.height,
        data: Uint8Array.from({ length: scale.width * scale.height * 4 }, () => Math.floor(next() * 256)),
      };
      const rgb = uploadImage(this.ctx, noise, 'random init');
      const normalized = channelAffineForward(this.ctx, rgb, RGB_TO_NORMALIZED);
      rgb.release();
      return normalized;
    }
    const rgb = uploadImage(this.ctx, init, 'init image', scale);
    const normalized = rgbToNormalized(this.ctx, rgb, scale.width, scale.height);
    rgb.release();
    return normalized;
  }

  /** The current image as 8-bit RGBA, with the content's colours if asked. */
  private output(): Promise<RgbaImage> {
    return normalizedToRgba(this.ctx, this.image!, this.options.originalColors ? this.contentRgb : undefined);
  }

  private async finish(stopped: StyleResult['stopped'], message: string | null): Promise<StyleResult> {
    return { image: await this.output(), stopped, message, history: this.history, seconds: (performance.now() - this.started) / 1000 };
  }
}
