// A video through the queue, as chained segments (docs/batch.md, "Video frames as jobs"): segment k
// is one job that runs frames 1…k·K of the video with every frame before its own already in the
// shared output (stylizeVideo's resume: each stored frame is kept and serves as the earlier output
// of the frames after it), so the queued video is the one-process video frame for frame. A segment
// adds the next one before it completes (a job id per segment: added twice, it is there once), so
// a worker that dies at any point leaves the chain to be taken over, never broken. Segments of one
// video run one after another; the queue's parallelism is across videos.

import type { Job, Queue } from 'bullmq';
import { stylizeVideo } from '../node/video.js';
import type { StyleSettings } from '../plan/settings.js';
import type { VideoSettings } from '../plan/video-options.js';
import { StoppedBeforeStartError, UserError } from '../util/errors.js';
import { textDigest } from './manifest.js';
import type { BatchRunner } from './runner.js';

/** The job name of a video segment (an image's is 'image'). */
export const VIDEO_SEGMENT = 'video-segment';
export const DEFAULT_SEGMENT_FRAMES = 30;

/** What every segment of one video runs: stylizeVideo's options that are plain JSON, paths absolute. */
export interface VideoSpec {
  input: string;
  output: string;
  styles: string[];
  settings: Partial<StyleSettings> & Partial<VideoSettings>;
  keepFrames: boolean;
  fps: { num: number; den: number };
  maxMegapixels?: number;
}

export interface VideoSegmentData {
  video: VideoSpec;
  /** The digest of the video spec and the segment length: names the segments' jobs. */
  key: string;
  /** 1-based. */
  segment: number;
  segmentFrames: number;
  from: string;
}

export interface VideoSegmentResult {
  segment: number;
  /** The frames it covered (1-based, inclusive), those it made and those it found made. */
  frames: [number, number];
  written: number;
  skipped: number;
  /** The segment it added, or null after the last one (the video or frames are then complete). */
  next: number | null;
  output: string | null;
  seconds: number;
  by: string;
}

export function videoKey(video: VideoSpec, segmentFrames: number): string {
  return textDigest(JSON.stringify([video, segmentFrames])).slice(0, 32);
}

/** BullMQ's job id of a segment (no ':' in custom ids). */
export function segmentJobId(key: string, segment: number): string {
  return `video-${key}-${segment}`;
}

/**
 * Adds a segment's job; one of that id already there (waiting, running, or done) is left as it is,
 * unless it ended (done or failed) before `after` (the adding segment's own job was made): then it
 * is an earlier chain's, which a rerun of the command must not take for its own (a failed one
 * would end the new chain at once, a done one skip frames since deleted), so it is made again.
 */
export async function addSegment(queue: Queue, data: VideoSegmentData, attempts: number, after = Infinity): Promise<void> {
  const earlier = await queue.getJob(segmentJobId(data.key, data.segment));
  if (earlier && earlier.timestamp < after && ['completed', 'failed'].includes(await earlier.getState())) await earlier.remove();
  await queue.add(VIDEO_SEGMENT, data, {
    jobId: segmentJobId(data.key, data.segment),
    attempts,
    backoff: { type: 'fixed', delay: 1000 },
    removeOnComplete: { age: 7 * 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  });
}

/**
 * Runs one segment on the worker's warm device and weights; 'stopped' when `signal` stopped it
 * (the frame in progress is dropped: a video keeps no checkpoint within a frame).
 */
export async function runSegment(
  job: Job<VideoSegmentData>,
  runner: BatchRunner,
  queue: Queue,
  hooks: { signal: AbortSignal; by: string; log: (m: string) => void },
): Promise<VideoSegmentResult | 'stopped'> {
  const { video, segment, segmentFrames } = job.data;
  const lastFrame = segment * segmentFrames;
  const started = performance.now();
  const result = await stylizeVideo({
    ...video.settings,
    ...{ input: video.input, output: video.output, styles: video.styles, keepFrames: video.keepFrames, fps: video.fps },
    ...{ maxMegapixels: video.maxMegapixels, resume: true, lastFrame, context: runner.ctx, weights: runner.weights },
    signal: hooks.signal,
    log: hooks.log,
  }).catch((err: unknown) => {
    if (err instanceof StoppedBeforeStartError) return null;
    throw err;
  });
  if (result === null || result.stopped === 'aborted') return 'stopped';
  if (result.stopped === 'diverged') throw new UserError(`${video.input}: ${result.message ?? 'the loss diverged'}`);
  const next = lastFrame < result.inputFrames ? segment + 1 : null;
  // Added before this job completes: a worker dying in between leaves this job to be redone
  // (every frame found made), and it adds the next again, which is then there once.
  if (next !== null) await addSegment(queue, { ...job.data, segment: next }, job.opts.attempts ?? 1, job.timestamp);
  return {
    segment,
    frames: [lastFrame - segmentFrames + 1, Math.min(lastFrame, result.inputFrames)],
    ...{ written: result.written, skipped: result.skipped - (lastFrame - segmentFrames), next, output: result.output },
    seconds: (performance.now() - started) / 1000,
    by: hooks.by,
  };
}
