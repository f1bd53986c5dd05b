// The video job: frame 1 as a still image (the whole pyramid), each later frame one scale at the
// final size, started from the earlier output warped into it and held to the earlier outputs by
// the temporal term (src/video/temporal.ts). The baseline, temporal weight 0: independent frames,
// no flow computed, each later frame one scale at the final size with the same steps, started as
// the first frame is (--init: the content by default). With the term, frame t starts from output
// t−1 warped (planVideo makes 1 one of flowRelativeIndices); earlier frames before the video's start
// are left out (frame 2 of 1,2,4 is held to frame 1 only). One StyleSession for the whole video (VGG
// loaded once, the style Grams computed once). Frames the store has are skipped and serve, as
// stored (8-bit), as the earlier outputs: a resumed run ends with the frames of one never stopped.
// With --original-colors the stored outputs carry the content's chroma, so the temporal targets do
// too, while the image optimised has the style's: the term holds the luminance the output shows and
// also pulls the image's chroma (which the output drops) towards the content's. A luminance-only
// term would be exact (not built); the warping error still falls with the term (4.1e-2 to 3.0e-4
// on test/video-job's clip with --original-colors). Browser-safe.

import type { GpuContext } from '../gpu/index.js';
import type { VideoPlan } from '../plan/video-options.js';
import type { RgbaImage } from '../style/image-tensor.js';
import type { StyleOptions, StylePhase, StyleProgress, StyleResult } from '../style/job-types.js';
import { StyleSession } from '../style/session.js';
import { StoppedBeforeStartError, UserError } from '../util/errors.js';
import type { VggWeights } from '../vgg/index.js';
import { frameTemporal, type FrameTemporal } from './temporal.js';

/** The content frames: 0-based, all the same size. */
export interface FrameSource {
  readonly count: number;
  read(index: number): Promise<RgbaImage>;
}

/** Where the stylised frames go (0-based); read gives null for a frame not there yet. */
export interface FrameStore {
  read(index: number): Promise<RgbaImage | null>;
  write(index: number, image: RgbaImage): Promise<void>;
}

type Losses = { content: number | null; style: number | null; tv: number | null; temporal: number | null; total: number | null };

export interface VideoProgress {
  /** The frame just written, 1-based. */
  frame: number;
  frames: number;
  /** Frames in the store now (written by this run or before it). */
  framesDone: number;
  /** Seconds since the run started. */
  seconds: number;
  /** The rest of the video, from the frames this run made; null before it can tell. */
  etaSeconds: number | null;
  frameSeconds: number;
  /** Of frameSeconds, the flows and their consistency. */
  flowSeconds: number;
  /** The frame's last reported losses. */
  losses: Losses;
}

export interface VideoHooks {
  onFrame?(progress: VideoProgress): void;
  onProgress?(progress: StyleProgress & { frame: number; frames: number }): void;
  /** The first frame's phases (tuning, targets, steps), then only a later frame's tuning: not three lines a frame. */
  onPhase?(phase: StylePhase): void;
  signal?: AbortSignal;
  log?(message: string): void;
}

export interface VideoResult {
  frames: number;
  /** Frames this run wrote, and those it found in the store and kept. */
  written: number;
  skipped: number;
  stopped: null | 'aborted' | 'diverged';
  message: string | null;
  seconds: number;
  flowSeconds: number;
  history: VideoProgress[];
}

export async function runVideoJob(
  ctx: GpuContext,
  weights: VggWeights,
  source: FrameSource,
  styles: readonly RgbaImage[],
  plan: VideoPlan,
  store: FrameStore,
  hooks: VideoHooks = {},
): Promise<VideoResult> {
  const session = new StyleSession(ctx, weights, styles, plan.first);
  try {
    return await new VideoJob(ctx, session, source, plan, store, hooks).run();
  } finally {
    session.dispose();
  }
}

class VideoJob {
  private readonly started = performance.now();
  private readonly result: VideoResult;
  private size: { width: number; height: number } | null = null;
  /** Whether a frame's phases were told (later frames tell their tuning only). */
  private phasesShown = false;

  constructor(
    private readonly ctx: GpuContext,
    readonly session: StyleSession,
    private readonly source: FrameSource,
    private readonly plan: VideoPlan,
    private readonly store: FrameStore,
    private readonly hooks: VideoHooks,
  ) {
    this.result = { frames: source.count, written: 0, skipped: 0, stopped: null, message: null, seconds: 0, flowSeconds: 0, history: [] };
  }

  async run(): Promise<VideoResult> {
    for (let t = 0; t < this.source.count; t++) {
      const stored = await this.store.read(t);
      if (stored) {
        this.checkStored(t, stored);
        this.result.skipped++;
        continue;
      }
      if (this.hooks.signal?.aborted) return this.finish('aborted', `stopped before frame ${t + 1}`);
      const stop = await this.frame(t);
      if (stop) return this.finish(stop.stopped, stop.message);
    }
    return this.finish(null, null);
  }

  /** Makes and writes frame t (0-based), or says why it stopped (the frame then not written). */
  private async frame(t: number): Promise<{ stopped: 'aborted' | 'diverged'; message: string | null } | null> {
    const started = performance.now();
    const content = await this.content(t);
    const earlier = t > 0 && this.plan.temporalWeight > 0 ? await this.earlier(t) : [];
    // The flows' seconds, the frames' reading (decoding, on the edge) left out.
    const flowStarted = performance.now();
    const temporal = earlier.length ? frameTemporal(this.ctx, content, earlier, this.plan.next.scales[0]!, this.plan.temporalWeight) : null;
    if (temporal) await this.ctx.device.queue.onSubmittedWorkDone();
    const flowSeconds = temporal ? (performance.now() - flowStarted) / 1000 : 0;
    let result: StyleResult;
    try {
      result = await this.session.run(content, this.options(t, temporal), {
        signal: this.hooks.signal,
        log: this.hooks.log,
        onProgress: (p) => this.hooks.onProgress?.({ ...p, frame: t + 1, frames: this.source.count }),
        onPhase: (p) => (!this.phasesShown || p.phase === 'tuning') && this.hooks.onPhase?.(p),
      });
      this.phasesShown = true;
    } catch (err) {
      if (err instanceof StoppedBeforeStartError)
        return { stopped: 'aborted', message: `stopped at frame ${t + 1}, before its first step` };
      throw err;
    } finally {
      temporal?.release();
    }
    if (result.stopped) return { stopped: result.stopped, message: `frame ${t + 1}: ${result.message}` };
    await this.store.write(t, result.image);
    this.result.written++;
    this.result.flowSeconds += flowSeconds;
    this.report(t, (performance.now() - started) / 1000, flowSeconds, result.history.at(-1));
    return null;
  }

  /** Frame t's options: the first frame's plan, or the later frames' with the temporal term and the warped start. */
  private options(t: number, temporal: FrameTemporal | null): StyleOptions {
    if (t === 0) return this.plan.first;
    if (!temporal) return this.plan.next;
    const { next } = this.plan;
    return { ...next, init: { normalized: temporal.init }, loss: { ...next.loss, temporal: temporal.term } };
  }

  /** The content frame t, checked against the first frame's size. */
  private async content(t: number): Promise<RgbaImage> {
    const image = await this.source.read(t);
    const first = (this.size ??= t === 0 ? image : await this.source.read(0));
    if (image.width !== first.width || image.height !== first.height)
      throw new UserError(
        `frame ${t + 1} is ${image.width}×${image.height} but frame 1 is ${first.width}×${first.height}: every frame of a video must be the same size (crop or scale the frames alike)`,
      );
    return image;
  }

  /**
   * A frame found in the store must be one this plan makes: an earlier run with other settings
   * (--size) left frames of another size, which would be mixed into the video and its temporal terms.
   */
  private checkStored(t: number, stored: RgbaImage): void {
    const { width, height } = this.plan.next.scales[0]!;
    if (stored.width !== width || stored.height !== height)
      throw new UserError(
        `stylised frame ${t + 1} already there is ${stored.width}×${stored.height} but this run makes ${width}×${height} frames: resume with the settings of the run that wrote it (--size), or start again in an empty output`,
      );
  }

  /** The earlier frames (content and output as stored, nearest first) the plan holds frame t to, those before the video's start left out. */
  private async earlier(t: number): Promise<Array<{ content: RgbaImage; output: RgbaImage }>> {
    const earlier: Array<{ content: RgbaImage; output: RgbaImage }> = [];
    for (const j of this.plan.flowRelativeIndices) {
      if (t - j < 0) break;
      const output = await this.store.read(t - j);
      if (!output) throw new Error(`runVideoJob: frame ${t - j + 1}'s output is not in the store before frame ${t + 1}`);
      earlier.push({ content: await this.source.read(t - j), output });
    }
    return earlier;
  }

  private report(t: number, frameSeconds: number, flowSeconds: number, last: StyleProgress | undefined): void {
    const done = this.result.written + this.result.skipped;
    const progress: VideoProgress = {
      frame: t + 1,
      frames: this.source.count,
      framesDone: done,
      seconds: (performance.now() - this.started) / 1000,
      etaSeconds: this.eta(t, frameSeconds),
      frameSeconds,
      flowSeconds,
      losses: {
        content: last?.content ?? null,
        style: last?.style ?? null,
        tv: last?.tv ?? null,
        temporal: last?.temporal ?? null,
        total: last?.total ?? null,
      },
    };
    this.result.history.push(progress);
    this.hooks.onFrame?.(progress);
  }

  /**
   * The frames left times a later frame's seconds: the mean of those this run made, or, after only
   * the first frame, its seconds scaled by the later frames' work against its own (in steps × pixels).
   */
  private eta(t: number, frameSeconds: number): number | null {
    const left = this.source.count - (this.result.written + this.result.skipped);
    if (left === 0) return 0;
    const later = [...this.result.history.filter((p) => p.frame > 1).map((p) => p.frameSeconds), ...(t > 0 ? [frameSeconds] : [])];
    if (later.length > 0) return (left * later.reduce((a, b) => a + b, 0)) / later.length;
    const work = (o: StyleOptions) => o.scales.reduce((s, x) => s + x.steps * x.width * x.height, 0);
    return left * frameSeconds * (work(this.plan.next) / work(this.plan.first));
  }

  private finish(stopped: VideoResult['stopped'], message: string | null): VideoResult {
    return { ...this.result, stopped, message, seconds: (performance.now() - this.started) / 1000 };
  }
}
