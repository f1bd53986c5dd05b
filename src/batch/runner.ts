// The warm half of a batch: one GPU context, the weights read once and one StyleSession (VGG on the
// device, the style targets cached) for as long as the style settings stay the same, running one
// image after another through stylize() (src/node/stylize.ts: reading, planning, checkpoints,
// resume). The one-machine batch and the queue's worker both run their images here, so an image
// comes out the same either way. Each image: resumed from its checkpoint if one is there, written
// atomically (a temporary file renamed), its checkpoint removed once the output is in place.

import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { GpuContext } from '../gpu/index.js';
import { encodeImage } from '../io/image.js';
import type { StyleSettings } from '../plan/settings.js';
import type { RgbaImage } from '../style/image-tensor.js';
import type { StyleHooks, StyleOptions } from '../style/job.js';
import { StyleSession } from '../style/session.js';
import { StoppedBeforeStartError, UserError } from '../util/errors.js';
import type { VggWeights } from '../vgg/index.js';
import { createNodeContext, type NodeGpuOptions } from '../node/gpu.js';
import { writeFileAtomic } from '../node/safe-write.js';
import { readCheckpoint, stylize } from '../node/stylize.js';
import { ensureWeights } from '../node/weights-cache.js';

/** One image's work, as the producer describes it (plain JSON: it travels through the queue). */
export interface ImageJob {
  input: string;
  output: string;
  checkpoint: string;
  styles: string[];
  /** The style settings given (JSON values: the CLI's parsed options). */
  settings: Partial<StyleSettings>;
  /** Checkpoint every n steps of a scale (0: only when stopped). */
  checkpointEvery: number;
  quality: number;
  maxMegapixels?: number;
}

export interface ImageOutcome {
  status: 'done' | 'stopped';
  seconds: number;
  /** Where it started from: 'start', or the checkpoint's scale and step. */
  resumedFrom: string;
  message: string | null;
}

export interface RunnerOptions {
  weights?: string;
  offline?: boolean;
  cacheDir?: string;
  gpu?: NodeGpuOptions;
  log?: (message: string) => void;
  onDownload?: (received: number, total: number | null) => void;
}

export class BatchRunner {
  private session: { key: string; session: StyleSession } | null = null;
  /** Sessions made so far (one per change of styles or network-shaping settings). */
  sessionsMade = 0;

  private constructor(
    readonly ctx: GpuContext,
    readonly weights: VggWeights,
    private readonly log: (message: string) => void,
  ) {}

  /** The device first (a GPU problem should not wait for a download), then the weights. */
  static async open(options: RunnerOptions): Promise<BatchRunner> {
    const ctx = await createNodeContext({ ...options.gpu, compute: true });
    try {
      const { weights } = await ensureWeights({
        weightsPath: options.weights,
        offline: options.offline,
        cacheDir: options.cacheDir,
        onProgress: options.onDownload,
        log: options.log,
      });
      return new BatchRunner(ctx, weights, options.log ?? (() => {}));
    } catch (err) {
      ctx.destroy();
      throw err;
    }
  }

  /** Runs one image to its output; a UserError names what is wrong with it (the batch goes on). */
  async run(job: ImageJob, hooks: Pick<StyleHooks, 'signal' | 'onProgress' | 'onPhase'> = {}): Promise<ImageOutcome> {
    const resume = await this.readResume(job.checkpoint);
    mkdirSync(dirname(job.checkpoint), { recursive: true });
    const result = await stylize({
      ...job.settings,
      content: job.input,
      styles: job.styles,
      context: this.ctx,
      weights: this.weights,
      maxMegapixels: job.maxMegapixels,
      checkpoint: { path: job.checkpoint, every: job.checkpointEvery },
      resume: resume ?? undefined,
      session: (_ctx, _weights, styles, plan) => this.sessionFor(job.styles, styles, plan),
      signal: hooks.signal,
      onProgress: hooks.onProgress,
      onPhase: hooks.onPhase,
      log: (m) => {
        if (!m.startsWith('checkpoint: ')) this.log(m);
      },
    }).catch((err: unknown) => {
      if (err instanceof StoppedBeforeStartError) return null;
      throw err;
    });
    const resumedFrom = resume ? `scale ${resume.state.scale}, step ${resume.state.step}` : 'start';
    if (result === null) return { status: 'stopped', seconds: 0, resumedFrom, message: 'stopped before its first step' };
    if (result.stopped === 'aborted') return { status: 'stopped', seconds: result.seconds, resumedFrom, message: result.message };
    if (result.stopped === 'diverged') throw new UserError(`${job.input}: ${result.message ?? 'the loss diverged'}`);
    writeFileAtomic(job.output, encodeImage(job.output, result.image, job.quality));
    rmSync(job.checkpoint, { force: true });
    return { status: 'done', seconds: result.seconds, resumedFrom, message: null };
  }

  /** How many times the current session computed the style Grams (once per working size while kept). */
  get styleTargetComputations(): number {
    return this.session?.session.styleTargetComputations ?? 0;
  }

  close(): void {
    this.session?.session.dispose();
    this.session = null;
    this.ctx.destroy();
  }

  /** The checkpoint left by an earlier try of this image, if any; one that cannot be read is removed (the image starts again). */
  private async readResume(path: string) {
    if (!existsSync(path)) return null;
    try {
      return await readCheckpoint(path);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      this.log(`${err.message}; starting the image again`);
      rmSync(path, { force: true });
      return null;
    }
  }

  /** The warm session for these style files and the settings that shape the network (made again when they change). */
  private sessionFor(paths: readonly string[], styles: RgbaImage[], plan: StyleOptions): StyleSession {
    const { pooling, normalizeConvention, styleBlend, loss } = plan;
    const key = JSON.stringify([paths, pooling, normalizeConvention ?? true, styleBlend ?? null, loss.contentLayers, loss.styleLayers]);
    if (this.session?.key !== key) {
      this.session?.session.dispose();
      this.session = { key, session: new StyleSession(this.ctx, this.weights, styles, plan) };
      this.sessionsMade++;
    }
    return this.session.session;
  }
}
