// `wgpu-style video … --queue redis://…`: the video becomes a chain of segment jobs on the queue
// (src/batch/video-queue.ts); with --wait, each segment's end is shown until the last, and the exit
// status says whether the video was made.

import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { queueConnection } from '../batch/connection.js';
import { openQueue } from '../batch/queue.js';
import {
  addSegment,
  DEFAULT_SEGMENT_FRAMES,
  segmentJobId,
  videoKey,
  type VideoSegmentData,
  type VideoSegmentResult,
  type VideoSpec,
} from '../batch/video-queue.js';
import type { OptionSpec } from '../plan/options.js';
import { QUEUE_OPTIONS, queueFollowOptions } from './batch.js';
import { SOME_FAILED } from './batch-report.js';
import { stopOnCtrlC } from './interrupt.js';

/** How often --wait looks at the segment in progress. */
const POLL_MS = 500;

export const VIDEO_QUEUE_OPTIONS = {
  ...QUEUE_OPTIONS,
  segmentFrames: {
    kind: 'int',
    min: 1,
    default: DEFAULT_SEGMENT_FRAMES,
    arg: '<n>',
    group: 'Queue',
    help: ['With --queue: frames per job; the segments run one after another,', 'each going on from the frames before it (default)'],
  },
  ...queueFollowOptions('the video', 'segment', 'a segment'),
} as const satisfies Record<string, OptionSpec>;

export interface VideoQueueSettings {
  url: string;
  name: string;
  ca?: string;
  segmentFrames: number;
  wait: boolean;
  attempts: number;
}

/** Queues the video's first segment (each adds the next); with --wait, follows the chain to its end. */
export async function runQueuedVideo(spec: VideoSpec, q: VideoQueueSettings): Promise<number> {
  const video: VideoSpec = {
    ...spec,
    input: resolve(spec.input),
    output: resolve(spec.output),
    styles: spec.styles.map((s) => resolve(s)),
  };
  const connection = queueConnection(q.url, '--queue', (m) => console.error(m), { caFile: q.ca, caFlag: '--queue-ca' });
  const queue = openQueue(connection, q.name);
  queue.on('error', (err) => connection.noteError(err));
  const interrupt = stopOnCtrlC('stopped following the video; its segments stay on the queue');
  try {
    const key = videoKey(video, q.segmentFrames);
    // A chain that ended (done or failed) is started again: its made frames are kept (resume), and
    // each segment replaces the earlier chain's next one (addSegment).
    await addSegment(queue, { video, key, segment: 1, segmentFrames: q.segmentFrames, from: `${hostname()}:${process.pid}` }, q.attempts);
    connection.reconnected();
    console.error(`queued ${video.input} in segments of ${q.segmentFrames} frames on ${connection.shown} (queue ${q.name})`);
    if (!q.wait) return 0;
    return await follow(queue, key, interrupt.signal, () => connection.reconnected());
  } finally {
    interrupt.dispose();
    await queue.close();
  }
}

/** Shows each segment's end, from the first, until the last is done (0) or one failed for good (5). */
async function follow(queue: ReturnType<typeof openQueue>, key: string, signal: AbortSignal, onPoll: () => void): Promise<number> {
  for (let segment = 1; !signal.aborted;) {
    const job = await queue.getJob(segmentJobId(key, segment));
    const state = job ? await job.getState() : 'unknown';
    onPoll();
    if (state === 'unknown') {
      // Each segment adds the next before it completes: one missing was removed from the queue.
      console.error(`segment ${segment} is not on the queue (removed?); run the same command again to go on from the frames made`);
      return SOME_FAILED;
    }
    if (state === 'failed') {
      const k = (job!.data as unknown as VideoSegmentData).segmentFrames;
      const frames = `frames ${(segment - 1) * k + 1}-${segment * k}`;
      console.error(
        `segment ${segment} (${frames}): failed (${job!.failedReason}, after ${job!.attemptsMade} attempts); those before are made`,
      );
      return SOME_FAILED;
    }
    if (state === 'completed') {
      const r = job!.returnvalue as unknown as VideoSegmentResult;
      console.error(`segment ${segment}: frames ${r.frames.join('-')} done (${r.written} made, ${r.skipped} found made) by ${r.by}`);
      if (r.next === null) {
        console.error(`video done: ${r.output ?? 'the frames are in place'}`);
        return 0;
      }
      segment = r.next;
      continue;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return 130;
}
