// The library API for videos in Node: `stylizeVideo({ input, styles, output, ... })`. The input is a
// video file (decoded through ffmpeg), a frames pattern (frames/%04d.png) or a folder of images; the
// output a video file (encoded through ffmpeg, at the input's frame rate, with its audio) or a
// frames pattern. Stylised frames are files from the moment each is finished (a video's go to a
// work folder beside it, out.mp4.frames/, removed once the video is written), so that a run stopped
// in any way resumes at the first missing frame and never redoes a finished one.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import type { GpuContext } from '../gpu/index.js';
import { describeMemoryPlan } from '../plan/memory-messages.js';
import type { DeviceLimits } from '../plan/plan-job.js';
import type { StyleSettings } from '../plan/settings.js';
import { planVideo, type VideoPlan } from '../plan/video-options.js';
import type { VideoSettings } from '../plan/video-options.js';
import type { RgbaImage } from '../style/image-tensor.js';
import { StoppedBeforeStartError, UserError } from '../util/errors.js';
import { runVideoJob, type VideoHooks, type VideoResult } from '../video/job.js';
import type { VggWeights } from '../vgg/index.js';
import {
  decodeFrames,
  encodeVideo,
  findFfmpeg,
  probeVideo,
  VIDEO_FORMATS,
  WORK_FRAME_NAME,
  WORK_FRAME_PATTERN,
  type FfmpegTools,
} from './ffmpeg.js';
import { createNodeContext, type NodeGpuOptions } from './gpu.js';
import { openImage, readImage } from './image-files.js';
import { checkRegularFile } from './regular-file.js';
import { assertNotInput, PreparedWrite } from './safe-write.js';
import { assertFramesNotInputs, FileFrameSource, listInputFrames, parseFramePattern, PatternFrameStore } from './video-frames.js';
import { VideoRunRecord } from './video-record.js';
import { loadingPhases } from './stylize.js';
import { ensureWeights } from './weights-cache.js';

export interface StylizeVideoOptions extends Partial<Omit<StyleSettings, 'init'>>, Partial<VideoSettings>, Omit<VideoHooks, 'log'> {
  /** A video file (any ffmpeg reads), a frames pattern (frames/%04d.png) or a folder of PNG/JPEG images (by name). */
  input: string;
  styles: ReadonlyArray<string | RgbaImage>;
  /** A video file (.mp4, .m4v, .mov, .mkv: H.264) or a frames pattern (out/%04d.png, numbered from 1). */
  output: string;
  /** Go on from the frames a stopped run left (the pattern's, or the video's work folder); without it, existing frames are refused. */
  resume?: boolean;
  /** A video made from frames: frames per second (default 25, as ffmpeg's); a video input keeps its own rate. */
  fps?: { num: number; den: number };
  /** Keep the work folder of a video output (out.mp4.frames/) after the video is written. */
  keepFrames?: boolean;
  /** Make frames 1…lastFrame only (a segment of a queued video): no video is encoded and the run record stays until a run reaches the last frame. */
  lastFrame?: number;
  /** A .bin path or loaded weights; default: the cache, downloading Keras's VGG-19 once. */
  weights?: string | VggWeights;
  offline?: boolean;
  cacheDir?: string;
  /** Use this context instead of making one (it is not destroyed). */
  context?: GpuContext;
  gpu?: NodeGpuOptions;
  /** ffmpeg and ffprobe to use (default: findFfmpeg()); needed only for video files. */
  ffmpeg?: FfmpegTools;
  /** Refuse image files with more megapixels than this, before decoding them. */
  maxMegapixels?: number;
  onDownload?: (received: number, total: number | null) => void;
  /** Called with the plan and the frame count once the input is read, before any GPU work. */
  onPlan?: (plan: VideoPlan, frames: number) => void;
  log?: (message: string) => void;
}

export interface StylizeVideoResult extends VideoResult {
  /** The video or frames pattern written; null when the run stopped before the end. */
  output: string | null;
  /** The stylised frames of a video output, while the video is not written yet (kept for --resume). */
  workFolder: string | null;
  /** The input's frames (`frames` stops at lastFrame when it is given). */
  inputFrames: number;
}

/** ffmpeg's image2 default when frames become a video. */
export const DEFAULT_FPS = { num: 25, den: 1 };

export async function stylizeVideo(options: StylizeVideoOptions): Promise<StylizeVideoResult> {
  const { input, output } = options;
  const outputVideo = videoFormat(output) !== null;
  const inputVideo = !parseFramePattern(input) && !isFolder(input);
  if (inputVideo && !existsSync(input)) throw new UserError(`${input}: no such file`);
  // A FIFO or a device would keep ffprobe waiting for ever.
  if (inputVideo) checkRegularFile(input, 'give a video file, or a folder of frames');
  const tools = inputVideo || outputVideo ? (options.ffmpeg ?? findFfmpeg()) : null;
  const work = outputVideo ? `${output}.frames` : null;
  const store = new PatternFrameStore(parseFramePattern(work ? join(work, WORK_FRAME_PATTERN) : output) ?? notAnOutput(output));
  if (!work && isFolder(input) && sameFile(store.pattern.folder, input))
    throw new UserError(
      `-o ${output} is in the input folder ${input}: the frames written would be read as input frames by the next run (--resume); choose another folder, such as ${join(input, 'out', '%04d.png')}`,
    );
  const styles = options.styles.map((s) => (typeof s === 'string' ? readImage(s, pixels(options)) : s));
  if (outputVideo) assertNotInput(output, [input, ...options.styles.filter((s) => typeof s === 'string')], '-o');
  const created = firstMissingFolder(resolve(work ?? store.pattern.folder));
  try {
    return await decodeRunEncode(options, tools, work, store, styles);
  } catch (err) {
    // Ended (a refusal, Ctrl-C) before frame 1: nothing to resume from, so nothing is left behind.
    if (store.existing(1).length === 0) new VideoRunRecord(store).remove();
    if (work && !holdsFrames(work)) rmSync(work, { recursive: true, force: true });
    if (created && filesIn(created) === 0) rmSync(created, { recursive: true, force: true });
    throw err;
  }
}

/** The outermost folder of `folder`'s path that is not there yet (mkdir -p would make it), or null. */
function firstMissingFolder(folder: string): string | null {
  let missing: string | null = null;
  for (let at = folder; !existsSync(at); at = dirname(at)) missing = at;
  return missing;
}

function filesIn(folder: string): number {
  try {
    return readdirSync(folder, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? filesIn(join(folder, e.name)) : 1), 0);
  } catch {
    return 0;
  }
}

function holdsFrames(folder: string): boolean {
  try {
    return readdirSync(folder).some((name) => WORK_FRAME_NAME.test(name));
  } catch {
    return false;
  }
}

async function decodeRunEncode(
  options: StylizeVideoOptions,
  tools: FfmpegTools | null,
  work: string | null,
  store: PatternFrameStore,
  styles: RgbaImage[],
): Promise<StylizeVideoResult> {
  const { input, output } = options;
  // The video's place checked before any work (a folder of that name failed only once every frame was made).
  if (work) PreparedWrite.prepare(output, { what: '-o', createFolder: true, example: 'out.mp4' }).discard();
  const frames = await openFrames(options, tools, work, styles.length);
  try {
    const inputFrames = frames.paths.length;
    const upTo = Math.min(options.lastFrame ?? inputFrames, inputFrames);
    const run = await runFrames(options, frames.paths.slice(0, upTo), styles, store, work, frames.info !== null);
    const result = { ...run, inputFrames };
    if (result.stopped !== null || upTo < inputFrames) return { ...result, output: null, workFolder: work };
    if (!work) {
      new VideoRunRecord(store).remove();
      return { ...result, output, workFolder: null };
    }
    options.log?.(`encoding ${output}`);
    const fps = frames.info?.fps ?? options.fps ?? DEFAULT_FPS;
    const audioFrom = frames.info?.audio ? { path: input, codec: frames.info.audio.codec } : null;
    try {
      await encodeVideo({ folder: work, frames: frames.paths.length, fps, audioFrom, output }, tools!, options.signal);
    } catch (err) {
      // Ctrl-C while encoding: every frame is kept, and --resume encodes them.
      if ((err as Error).name !== 'AbortError') throw err;
      return { ...result, stopped: 'aborted', message: `stopped while encoding ${output}`, output: null, workFolder: work };
    }
    if (!options.keepFrames) rmSync(work, { recursive: true, force: true });
    return { ...result, output, workFolder: options.keepFrames ? work : null };
  } finally {
    frames.dispose();
  }
}

/**
 * The input's frame files: a video's decoded (again on every run: decoding is deterministic) into
 * the work folder, or a temporary one for a frames output, shrunk to the largest size the plan
 * works at; a pattern's or a folder's as they are.
 */
async function openFrames(options: StylizeVideoOptions, tools: FfmpegTools | null, work: string | null, styleCount: number) {
  const { input } = options;
  if (!tools || parseFramePattern(input) || isFolder(input)) return { paths: listInputFrames(input), info: null, dispose: () => {} };
  const info = await probeVideo(input, tools, options.signal);
  const folder = work ? join(work, 'content') : mkdtempSync(join(tmpdir(), 'wgpu-style-frames-'));
  const dispose = () => (work ? undefined : rmSync(folder, { recursive: true, force: true }));
  try {
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    const plan = planFor(options, info.width, info.height, styleCount, {});
    const largest = Math.max(...plan.first.scales.map((s) => Math.max(s.width, s.height)));
    options.log?.(`decoding ${input} (${info.width}×${info.height}, ${info.fps.num}/${info.fps.den} fps)`);
    await decodeFrames(input, folder, tools, largest, options.signal);
    return { paths: listInputFrames(join(folder, WORK_FRAME_PATTERN)), info, dispose };
  } catch (err) {
    dispose();
    if ((err as Error).name === 'AbortError') throw new StoppedBeforeStartError();
    throw err;
  }
}

/** The video job over the frame files into the store: checks, plan, device and weights, then runVideoJob. */
async function runFrames(
  options: StylizeVideoOptions,
  paths: string[],
  styles: RgbaImage[],
  store: PatternFrameStore,
  work: string | null,
  decoded: boolean,
): Promise<VideoResult> {
  const source = new FileFrameSource(paths, pixels(options).maxPixels);
  // Frames ffmpeg decoded are images of one size; a folder's are checked before any work (they are read again later).
  const first = decoded ? openImage(paths[0]!) : source.checkAll();
  assertFramesNotInputs(store, source.count, paths);
  const existing = store.existing(source.count).length;
  if (existing > 0 && !options.resume)
    throw new UserError(
      `${store.path(store.existing(source.count)[0]!)} exists (${existing} of ${source.count} frames): add --resume to go on from them, or remove ${work ?? 'them'}`,
    );
  // The frames' folder made, and checked to take files, before any work.
  PreparedWrite.prepare(store.path(0), { what: work ? 'the work folder' : '-o', createFolder: true, example: '%04d.png' }).discard();
  const host = { memoryBytes: totalmem(), contentName: paths[0] };
  const early = planFor(options, first.width, first.height, styles.length, host);
  assertStoredSize(store, store.existing(source.count), early.next.scales[0]!);
  options.onPlan?.(early, source.count);
  const loading = loadingPhases(options, early.first.scales.length);
  if (!options.context) loading('the GPU device');
  const ctx = options.context ?? (await createNodeContext({ ...options.gpu, compute: true }));
  try {
    const limits: DeviceLimits = { bindingBytes: ctx.bindingBytes, bufferBytes: ctx.maxBufferBytes };
    const plan = planFor(options, first.width, first.height, styles.length, { ...host, ...limits });
    const memory = describeMemoryPlan(plan.first.memory);
    if (memory) options.log?.(memory);
    const { offline, cacheDir, onDownload: onProgress, log } = options;
    if (typeof options.weights !== 'object') loading('the weights');
    const weights =
      typeof options.weights === 'object'
        ? options.weights
        : (await ensureWeights({ weightsPath: options.weights, offline, cacheDir, onProgress, log })).weights;
    if (options.signal?.aborted) throw new StoppedBeforeStartError();
    new VideoRunRecord(store).claim(plan, await source.read(0), styles, weights, existing > 0);
    if (existing > 0) options.log?.(`resuming: ${existing} of ${source.count} frames are done`);
    return await runVideoJob(ctx, weights, source, styles, plan, store, options);
  } finally {
    if (!options.context) ctx.destroy();
  }
}

/** Frames a stopped run left must be of the size this run makes (a resume with another --size would mix them). */
function assertStoredSize(store: PatternFrameStore, found: number[], size: { width: number; height: number }): void {
  for (const t of found) {
    const { width, height } = openImage(store.path(t));
    if (width !== size.width || height !== size.height)
      throw new UserError(
        `${store.path(t)} is ${width}×${height} but this run makes ${size.width}×${size.height} frames: resume with the settings of the run that wrote it (--size), or start again in an empty output`,
      );
  }
}

function planFor(
  options: StylizeVideoOptions,
  width: number,
  height: number,
  styleCount: number,
  host: { memoryBytes?: number; contentName?: string } & Partial<DeviceLimits>,
): VideoPlan {
  const autotune = options.autotune ?? (process.env.WGPU_STYLE_AUTOTUNE === '0' ? false : undefined);
  return planVideo({ ...options, autotune }, options, width, height, styleCount, host);
}

function pixels(options: StylizeVideoOptions): { maxPixels?: number } {
  return { maxPixels: options.maxMegapixels === undefined ? undefined : options.maxMegapixels * 1e6 };
}

/** The container of a video output, or null (a frames pattern). */
export function videoFormat(output: string): string | null {
  return parseFramePattern(output) ? null : (VIDEO_FORMATS[extname(output).toLowerCase()] ?? null);
}

function notAnOutput(output: string): never {
  throw new UserError(
    `-o ${output}: give a video file (${Object.keys(VIDEO_FORMATS).join(', ')}) or a frames pattern such as out/%04d.png`,
  );
}

function sameFile(a: string, b: string): boolean {
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
