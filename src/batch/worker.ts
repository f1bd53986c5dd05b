// A queue worker: one device, one job at a time (concurrency 1: a GPU runs one style job well),
// the weights and the style session kept warm across jobs. A job is an image, or a segment of a
// video (src/batch/video-queue.ts). A job's lock is renewed while it runs;
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
  return new QueueWorker(runner, connection, settings, hooks);
}

class QueueWorker implements RunningWorker {
  readonly worker: RunningWorker['worker'];
  private readonly by = `${hostname()}:${process.pid}`;
  private readonly stop = new AbortController();
  /** For the segments a video segment adds (opened with the first). */
  private queue: Queue | null = null;

  constructor(
    private readonly runner: BatchRunner,
    private readonly connection: QueueConnection,
    private readonly settings: WorkerSettings,
    private readonly hooks: WorkerHooks,
  ) {
    this.worker = new Worker(settings.queueName, (job, token) => this.process(job, token), {
      connection: connection.options,
      concurrency: 1,
      lockDuration: settings.lockSeconds * 1000,
      stalledInterval: settings.stalledSeconds * 1000,
      maxStalledCount: settings.maxStalls,
    });
    this.worker.on('failed', (job, err) => job && this.failed(job, err));
    // Connection errors are retried by the client, which says so (connection.ts); BullMQ repeats them here.
    this.worker.on('error', (err) => {
      connection.noteError(err);
      if (!connection.lost) hooks.log(`queue: ${err.message}`);
    });
  }

  async finishAndClose(): Promise<void> {
    await this.worker.close();
    await this.queue?.close();
  }

  async stopAndClose(): Promise<void> {
    this.stop.abort();
    await this.finishAndClose();
  }

  private async process(job: AnyJob, token: string | undefined): Promise<QueueJobResult | VideoSegmentResult> {
    this.connection.reconnected();
    try {
      return isSegment(job) ? await this.runSegment(job, token) : await this.runImage(job as Job<QueueJobData, QueueJobResult>, token);
    } catch (err) {
      if (err instanceof UnrecoverableError || err instanceof WaitingError) throw err;
      // The reason BullMQ keeps is the line a person reads: a user error's message, or a bug's.
      const message = userErrorMessage(err) ?? (err instanceof Error ? `${err.name}: ${err.message}` : String(err));
      throw new Error(message);
    }
  }

  private async runImage(job: Job<QueueJobData, QueueJobResult>, token: string | undefined): Promise<QueueJobResult> {
    const { data } = job;
    const { by, hooks } = this;
    hooks.onJobStart?.(data, job);
    let lastReport = 0;
    const outcome = await this.runner.run(data.job, {
      signal: this.stop.signal,
      onProgress: (p) => {
        const now = Date.now();
        if (now - lastReport < 1000) return;
        lastReport = now;
        void job.updateProgress({ scale: p.scale, scales: p.scales, step: p.step, steps: p.steps }).catch(() => {});
      },
    });
    const line = { input: data.job.input, output: data.job.output, inputDigest: data.inputDigest, settingsDigest: data.settingsDigest };
    if (outcome.status === 'stopped') {
      const message = `${outcome.message ?? 'stopped'}; back on the queue`;
      appendManifest(data.manifest, { ...line, status: 'stopped', message, by, job: job.id, at: new Date().toISOString() });
      hooks.onJobEnd?.(data, 'requeued', `${message} for another worker`);
      return await requeue(job, token);
    }
    const message = outcome.resumedFrom === 'start' ? undefined : `resumed from its checkpoint (${outcome.resumedFrom})`;
    appendManifest(data.manifest, {
      ...line,
      status: 'done',
      seconds: outcome.seconds,
      message,
      by,
      job: job.id,
      at: new Date().toISOString(),
    });
    hooks.onJobEnd?.(data, 'done', `${outcome.seconds.toFixed(1)} s${message ? `, ${message}` : ''}`);
    return { seconds: outcome.seconds, resumedFrom: outcome.resumedFrom, by };
  }

  private async runSegment(job: Job<VideoSegmentData, VideoSegmentResult>, token: string | undefined): Promise<VideoSegmentResult> {
    const { video, segment } = job.data;
    this.queue ??= openQueue(this.connection, this.settings.queueName);
    this.hooks.log(`${video.input} -> ${video.output}: segment ${segment}`);
    const log = (m: string) => this.hooks.log(`segment ${segment}: ${m}`);
    const result = await runSegment(job, this.runner, this.queue, { signal: this.stop.signal, by: this.by, log });
    if (result === 'stopped') {
      log(`stopped (its frames kept); back on the queue for another worker`);
      return await requeue(job, token);
    }
    log(`frames ${result.frames.join('-')} done (${result.written} made, ${result.skipped} found made)`);
    return result;
  }

  private failed(job: AnyJob, err: Error): void {
    const last = job.attemptsMade >= (job.opts.attempts ?? 1);
    const detail = `${err.message} (attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1})`;
    if (isSegment(job))
      return this.hooks.log(`segment ${job.data.segment} of ${job.data.video.input}: ${last ? 'failed' : 'retry'} (${detail})`);
    const data = job.data as QueueJobData;
    this.hooks.onJobEnd?.(data, last ? 'failed' : 'retry', detail);
    if (!last) return;
    appendManifest(data.manifest, {
      ...{ input: data.job.input, output: data.job.output, status: 'failed', inputDigest: data.inputDigest },
      ...{ settingsDigest: data.settingsDigest, message: err.message, by: this.by, job: job.id, at: new Date().toISOString() },
    });
  }
}

/**
 * A stopped job back to waiting, for another worker at once (an image's checkpoint, a video's
 * frames, are on the shared folder). WaitingError is BullMQ's way to say the job was moved on
 * purpose: neither completed nor failed, and not one of its attempts.
 */
async function requeue(job: AnyJob, token: string | undefined): Promise<never> {
  await job.moveToWait(token);
  throw new WaitingError();
}
