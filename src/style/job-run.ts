// One run of the style job on a StyleSession's network and style targets: for each scale, resize
// the content, take its targets (the Grams from the session), then run the optimiser (Adam or
// L-BFGS, src/optim/optimizer.ts) on the image, in the normalised space, against the loss; each
// scale starts from the upscaled result of the one before. Browser-safe.

import type { DeviceTensor, GpuContext } from '../gpu/index.js';
import { autotuneConv, channelAffineForward, limitWinogradCache, releaseWinogradWeights, resize, tuningFor } from '../kernels/index.js';
import { StoppedBeforeStartError } from '../util/errors.js';
import { uniformRandom } from '../util/random.js';
import { convShapesForStep } from '../vgg/index.js';
import { checkResumable, type JobState } from './job-state.js';
import { RGB_TO_NORMALIZED } from './convention.js';
import { normalizedToRgba, rgbToNormalized, uploadImage, type RgbaImage } from './image-tensor.js';
import type { LossConfig, Targets } from './loss.js';
import type { StyleNetwork } from './network.js';
import { createOptimizer } from '../optim/optimizer.js';
import { type Optimizer } from '../optim/types.js';
import { ScaleRun } from './scale-run.js';
import { ImageAverage } from './average.js';
import { regionWeights, releaseRegions, StyleMaskSet } from './masks.js';
import type { JobMemory, Scale, StyleHooks, StyleOptions, StylePhase, StyleProgress, StyleResult } from './job-types.js';

type Stop = { reason: 'aborted' | 'diverged'; message: string };

/** What a run takes from its session (src/style/session.ts). */
export interface RunResources {
  readonly ctx: GpuContext;
  readonly net: StyleNetwork;
  /** The loss as the run evaluates it: `loss` with the convention's normalisers. */
  lossFor(loss: LossConfig): LossConfig;
  /** The targets of `content` (normalised space, at `scale`'s size); the run releases only their content features. */
  targets(content: DeviceTensor, scale: Scale, options: StyleOptions, loss: LossConfig): Targets;
  /** The uploaded content (RGB) as the run uses it: recoloured with --color-transfer style (takes ownership). */
  prepareContent(rgb: DeviceTensor, options: StyleOptions): DeviceTensor;
}

export class JobRun {
  private readonly ctx: GpuContext;
  private readonly net: StyleNetwork;
  private readonly loss: LossConfig;
  private readonly contentRgb: DeviceTensor;
  private readonly history: StyleProgress[] = [];
  private readonly started = performance.now();
  private readonly optimizer: Optimizer;
  private image: DeviceTensor | null = null;
  /** --average: the moving average of the scale in progress's iterates (null when off). */
  private average: ImageAverage | null = null;
  /** --style-mask: the masks on the device (null without). */
  private readonly masks: StyleMaskSet | null;
  /** Loss evaluations made before the scale in progress. */
  private evaluations = 0;
  /** Each scale's planned peak and whether it recomputes. */
  readonly memory: JobMemory;

  constructor(
    private readonly session: RunResources,
    content: RgbaImage,
    private readonly options: StyleOptions,
    private readonly hooks: StyleHooks,
  ) {
    // planJob (src/plan/plan-job.ts) checked the options against the settings' rules, the device and
    // the memory budget: the job takes them as they are.
    this.ctx = session.ctx;
    this.net = session.net;
    this.memory = options.memory;
    this.optimizer = createOptimizer(this.ctx, options);
    this.loss = session.lossFor(options.loss);
    // The content goes to the device already shrunk to the largest size a scale needs, so a photo
    // of any size costs the working size's memory, not its own.
    const largest = {
      width: Math.max(...options.scales.map((x) => x.width)),
      height: Math.max(...options.scales.map((x) => x.height)),
    };
    this.contentRgb = session.prepareContent(uploadImage(this.ctx, content, 'content image', largest), options);
    this.masks = options.styleMasks ? new StyleMaskSet(this.ctx, options.styleMasks, largest, options.styleMaskNames) : null;
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
    for (const t of [this.image, this.contentRgb]) t?.release();
    this.average?.dispose();
    this.masks?.dispose();
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
    if (this.options.autotune) await this.tune(s, scale);
    // Stopped while tuning before this run made a step: nothing to keep, so not the targets either.
    if (this.hooks.signal?.aborted && this.evaluations + (resume?.step ?? 0) === (this.hooks.resume?.evaluations ?? 0))
      throw new StoppedBeforeStartError();
    limitWinogradCache(ctx, 0);
    this.phase({ phase: 'targets', scale: s + 1, done: 0, total: 1 });
    const content = rgbToNormalized(this.ctx, this.contentRgb, scale.width, scale.height);
    // With style masks, this scale's regions at each style layer (released with the scale).
    const styleMasks = await this.masks?.regions(
      scale,
      this.loss.styleLayers,
      regionWeights(this.options.styleBlend, this.options.styleMasks!.length),
    );
    const loss = styleMasks ? { ...this.loss, styleMasks } : this.loss;
    const targets = this.session.targets(content, scale, this.options, loss);
    // The targets are recorded, not yet computed: their end is when the device has done them.
    if (this.hooks.onPhase) await ctx.sync();
    this.phase({ phase: 'targets', scale: s + 1, done: 1, total: 1 });
    limitWinogradCache(ctx, kept);
    const previous = this.image;
    if (resume) this.image = ctx.upload([1, 3, scale.height, scale.width], resume.image, 'image');
    else this.image = previous ? resize(ctx, previous, scale.height, scale.width) : this.initialImage(content, scale);
    previous?.release();
    content.release();
    try {
      return await this.optimise(s, scale, targets, loss);
    } finally {
      for (const t of targets.content.values()) t.release();
      if (styleMasks) releaseRegions(styleMasks);
    }
  }

  /** Tunes the conv variants for scale s's shapes (those not tuned yet), telling each shape done. */
  private async tune(s: number, scale: Scale): Promise<void> {
    const detail = `${scale.width}×${scale.height}`;
    const tuning = (done: number, total: number) => this.phase({ phase: 'tuning', scale: s + 1, done, total, detail });
    await autotuneConv(this.ctx, convShapesForStep(scale.height, scale.width, this.net.vgg.depth), {
      signal: this.hooks.signal,
      onStart: (shapes) => {
        if (!this.hooks.onPhase) this.hooks.log?.(`tuning the convolutions for ${detail} on this adapter (${shapes} shapes, once)`);
        tuning(0, shapes);
      },
      onShape: (done, total) => tuning(done, total),
    });
  }

  private phase(p: Omit<StylePhase, 'scales' | 'seconds'>): void {
    const seconds = (performance.now() - this.started) / 1000;
    this.hooks.onPhase?.({ ...p, scales: this.options.scales.length, seconds });
  }

  private async optimise(s: number, scale: Scale, targets: Targets, loss: LossConfig): Promise<Stop | null> {
    const { ctx, optimizer, hooks } = this;
    const resume = this.resumeAt(s);
    const run = new ScaleRun(
      {
        ...{ ctx, net: this.net, loss, targets, image: this.image!, index: s, scales: this.options.scales.length, scale },
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
    this.average?.dispose();
    this.average = this.options.average ? new ImageAverage(ctx, this.options.average, this.image!, resume?.average) : null;
    this.phase({ phase: 'steps', scale: s + 1, done: run.step, total: scale.steps, detail: `${scale.width}×${scale.height}` });
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
        if (diverged) {
          // Iterates past the last good one may be in the average: the output is that last good image.
          this.average?.dispose();
          this.average = null;
          return { reason: 'diverged', message: diverged };
        }
        if (end === 'aborted') return await this.abort(s, scale, before, run.evaluations - (run.step - before));
        this.average?.update(this.image!);
        await this.atIntervals(s, scale, before, run, end !== 'converged');
        if (end === 'converged') break;
      }
      this.takeAverage();
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

  /** The state to resume from if it is at scale s (0-based). */
  private resumeAt(s: number): JobState | undefined {
    const resume = this.hooks.resume;
    return resume && resume.scale === s + 1 ? resume : undefined;
  }

  /** Reads the optimiser's state (after `step` evaluations of scale s) and hands it to the checkpoint hook. */
  private async saveState(s: number, scale: Scale, step: number, evaluations: number): Promise<void> {
    const checkpoint = this.hooks.checkpoint;
    if (!checkpoint) return;
    const [image, optimizer, average] = [await this.image!.read(), await this.optimizer.state(), await this.average?.state()];
    const tuning = tuningFor(this.ctx).record();
    const at = { scale: s + 1, step, evaluations, width: scale.width, height: scale.height };
    await checkpoint.write({ ...at, image, optimizer, tuning, ...(average ? { average } : {}) });
  }

  private initialImage(content: DeviceTensor, scale: Scale): DeviceTensor {
    const init = this.options.init;
    if (init === 'content') return this.ctx.copy(content, 'image');
    if (typeof init === 'object' && 'normalized' in init) {
      const [, , h, w] = init.normalized.shape as [number, number, number, number];
      return h === scale.height && w === scale.width
        ? this.ctx.copy(init.normalized, 'image')
        : resize(this.ctx, init.normalized, scale.height, scale.width);
    }
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

  /** A scale's end with --average: its image becomes the average, the next scale's start and the output. */
  private takeAverage(): void {
    if (!this.average) return;
    this.image!.release();
    this.image = this.average.value();
    this.average.dispose();
    this.average = null;
  }

  /** The current image (with --average, the average so far) as 8-bit RGBA, with the content's colours if asked. */
  private async output(): Promise<RgbaImage> {
    const average = this.average?.value();
    const colours = this.options.originalColors ? this.contentRgb : undefined;
    const out = await normalizedToRgba(this.ctx, average ?? this.image!, colours);
    average?.release();
    return out;
  }

  private async finish(stopped: StyleResult['stopped'], message: string | null): Promise<StyleResult> {
    return { image: await this.output(), stopped, message, history: this.history, seconds: (performance.now() - this.started) / 1000 };
  }
}
