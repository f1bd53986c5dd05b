// A queue worker: one device, one image at a time (concurrency 1: a GPU runs one style job well),
// the weights and the style session kept warm across jobs. A job's lock is renewed while it runs;
// a worker that dies (SIGKILL, power loss) stops renewing it, and after `lockSeconds` another
// worker's stalled-job check (every `stalledSeconds`) takes the job over, resuming from the
// checkpoint the dead one left on the shared folder. Each done image adds a line to its batch's
// manifest; a job that fails its last attempt adds a failed line with the reason.
// A worker asked to stop now (SIGTERM: Kubernetes deleting its pod) stops its image within a step,
// writes the image's checkpoint, and puts the job back on the queue at once (BullMQ's moveToWait),
// so another worker takes it over and resumes it without waiting for the lock to run out.

import { UnrecoverableError, WaitingError, Worker, type Job, type Queue } from 'bullmq';
import { hostname } from 'node:os';
import { userErrorMessage } from './errors.js';
import type { QueueConnection } from './connection.js';
import { appendManifest } from './manifest.js';
import { openQueue, type QueueJobData, type QueueJobResult } from './queue.js';
import type { BatchRunner } from './runner.js';
import { runSegment, VIDEO_SEGMENT, type VideoSegmentData, type VideoSegmentResult } from './video-queue.js';

export interface WorkerSettings {
  queueName: string;
  /** A job whose lock is not renewed for this long is taken over (BullMQ's lockDuration). */
  lockSeconds: number;
  /** How often this worker looks for stalled jobs (BullMQ's stalledInterval). */
  stalledSeconds: number;
  /** Times a job may stall (its worker gone) before it is failed (BullMQ's maxStalledCount). */
  maxStalls: number;
}

export interface WorkerHooks {
  log: (message: string) => void;
  onJobStart?: (data: QueueJobData, job: Job) => void;
  onJobEnd?: (data: QueueJobData, status: 'done' | 'failed' | 'retry' | 'requeued', detail: string) => void;
}

type AnyJob = Job<QueueJobData | VideoSegmentData, QueueJobResult | VideoSegmentResult>;
const isSegment = (job: AnyJob): job is Job<VideoSegmentData, VideoSegmentResult> => job.name === VIDEO_SEGMENT;

export interface RunningWorker {
  worker: Worker<QueueJobData | VideoSegmentData, QueueJobResult | VideoSegmentResult>;
  /** Takes no new job and resolves once the image in progress is done (or failed). */
  finishAndClose(): Promise<void>;
  /** Takes no new job, stops the image in progress at its next step with its checkpoint written, puts its job back on the queue, and resolves once closed. */
  stopAndClose(): Promise<void>;
}

/** Starts taking jobs: images, and segments of videos. */
export function startWorker(runner: BatchRunner, connection: QueueConnection, settings: WorkerSettings, hooks: WorkerHooks): RunningWorker {
  const by = `${hostname()}:${process.pid}`;
  const stop = new AbortController();
  let queue: Queue | null = null;
  const worker = new Worker<QueueJobData | VideoSegmentData, QueueJobResult | VideoSegmentResult>(
    settings.queueName,
    async (job, token) => {
      connection.reconnected();
      try {
        if (!isSegment(job)) return await runImage(job as Job<QueueJobData, QueueJobResult>, token);
        queue ??= openQueue(connection, settings.queueName);
        hooks.log(`${job.data.video.input} -> ${job.data.video.output}: segment ${job.data.segment}`);
        const log = (m: string) => hooks.log(`segment ${job.data.segment}: ${m}`);
        const result = await runSegment(job, runner, queue, { signal: stop.signal, by, log });
        if (result === 'stopped') return await requeue(job, token, `segment ${job.data.segment} stopped (its frames kept)`);
        hooks.log(
          `segment ${result.segment}: frames ${result.frames.join('-')} done (${result.written} made, ${result.skipped} found made)`,
        );
        return result;
      } catch (err) {
        if (err instanceof UnrecoverableError || err instanceof WaitingError) throw err;
        // The reason BullMQ keeps is the line a person reads: a user error's message, or a bug's.
        const message = userErrorMessage(err) ?? (err instanceof Error ? `${err.name}: ${err.message}` : String(err));
        throw new Error(message);
      }
    },
    {
      connection: connection.options,
      concurrency: 1,
      lockDuration: settings.lockSeconds * 1000,
      stalledInterval: settings.stalledSeconds * 1000,
      maxStalledCount: settings.maxStalls,
    },
  );
  const runImage = async (job: Job<QueueJobData, QueueJobResult>, token: string | undefined): Promise<QueueJobResult> => {
    const data = job.data;
    hooks.onJobStart?.(data, job);
    let lastReport = 0;
    const outcome = await runner.run(data.job, {
      signal: stop.signal,
      onProgress: (p) => {
        const now = Date.now();
        if (now - lastReport < 1000) return;
        lastReport = now;
        void job.updateProgress({ scale: p.scale, scales: p.scales, step: p.step, steps: p.steps }).catch(() => {});
      },
    });
    if (outcome.status === 'stopped') {
      appendManifest(data.manifest, {
        ...{ input: data.job.input, output: data.job.output, status: 'stopped', inputDigest: data.inputDigest },
        ...{ settingsDigest: data.settingsDigest, message: `${outcome.message ?? 'stopped'}; back on the queue`, by, job: job.id },
        at: new Date().toISOString(),
      });
      hooks.onJobEnd?.(data, 'requeued', `${outcome.message ?? 'stopped'}; back on the queue for another worker`);
      return await requeue(job, token, outcome.message ?? 'stopped');
    }
    const at = new Date().toISOString();
    const message = outcome.resumedFrom === 'start' ? undefined : `resumed from its checkpoint (${outcome.resumedFrom})`;
    appendManifest(data.manifest, {
      ...{ input: data.job.input, output: data.job.output, status: 'done', inputDigest: data.inputDigest },
      ...{ settingsDigest: data.settingsDigest, seconds: outcome.seconds, message, by, job: job.id, at },
    });
    hooks.onJobEnd?.(data, 'done', `${outcome.seconds.toFixed(1)} s${message ? `, ${message}` : ''}`);
    return { seconds: outcome.seconds, resumedFrom: outcome.resumedFrom, by };
  };
  worker.on('failed', (job, err) => {
    if (!job) return;
    const last = job.attemptsMade >= (job.opts.attempts ?? 1);
    const detail = `${err.message} (attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1})`;
    if (isSegment(job))
      return hooks.log(`segment ${job.data.segment} of ${job.data.video.input}: ${last ? 'failed' : 'retry'} (${detail})`);
    const data = job.data as QueueJobData;
    hooks.onJobEnd?.(data, last ? 'failed' : 'retry', detail);
    if (!last) return;
    appendManifest(data.manifest, {
      ...{ input: data.job.input, output: data.job.output, status: 'failed', inputDigest: data.inputDigest },
      ...{ settingsDigest: data.settingsDigest, message: err.message, by, job: job.id, at: new Date().toISOString() },
    });
  });
  /** A stopped job back to waiting (an image's checkpoint, a video's frames, are on the shared folder) for another worker at once. */
  const requeue = async (job: AnyJob, token: string | undefined, message: string): Promise<never> => {
    await job.moveToWait(token);
    if (isSegment(job)) hooks.log(`${message}; back on the queue for another worker`);
    // BullMQ's way to say the job was moved on purpose: it is neither completed nor failed.
    throw new WaitingError();
  };
  // Connection errors are retried by the client, which says so (connection.ts); BullMQ repeats them here.
  worker.on('error', (err) => {
    connection.noteError(err);
    if (!connection.lost) hooks.log(`queue: ${err.message}`);
  });
  return {
    worker,
    finishAndClose: async () => {
      await worker.close();
      await queue?.close();
    },
    stopAndClose: async () => {
      stop.abort();
      await worker.close();
      await queue?.close();
    },
  };
}
