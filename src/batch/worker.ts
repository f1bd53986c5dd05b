// A queue worker: one device, one image at a time (concurrency 1: a GPU runs one style job well),
// the weights and the style session kept warm across jobs. A job's lock is renewed while it runs;
// a worker that dies (SIGKILL, power loss) stops renewing it, and after `lockSeconds` another
// worker's stalled-job check (every `stalledSeconds`) takes the job over, resuming from the
// checkpoint the dead one left on the shared folder. Each done image adds a line to its batch's
// manifest; a job that fails its last attempt adds a failed line with the reason.

import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { hostname } from 'node:os';
import { userErrorMessage } from './errors.js';
import type { QueueConnection } from './connection.js';
import { appendManifest } from './manifest.js';
import type { QueueJobData, QueueJobResult } from './queue.js';
import type { BatchRunner } from './runner.js';

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
  onJobEnd?: (data: QueueJobData, status: 'done' | 'failed' | 'retry', detail: string) => void;
}

/** Starts taking jobs; resolves with the worker (close() lets the job in progress finish). */
export function startWorker(runner: BatchRunner, connection: QueueConnection, settings: WorkerSettings, hooks: WorkerHooks): Worker {
  const by = `${hostname()}:${process.pid}`;
  const worker = new Worker<QueueJobData, QueueJobResult>(
    settings.queueName,
    async (job) => {
      connection.reconnected();
      const data = job.data;
      hooks.onJobStart?.(data, job);
      let lastReport = 0;
      try {
        const outcome = await runner.run(data.job, {
          onProgress: (p) => {
            const now = Date.now();
            if (now - lastReport < 1000) return;
            lastReport = now;
            void job.updateProgress({ scale: p.scale, scales: p.scales, step: p.step, steps: p.steps }).catch(() => {});
          },
        });
        // A worker's own runs are never aborted (it closes after its job); a stop is a bug here.
        if (outcome.status !== 'done') throw new Error(`${data.job.input}: ${outcome.message ?? 'stopped'}`);
        const at = new Date().toISOString();
        const message = outcome.resumedFrom === 'start' ? undefined : `resumed from its checkpoint (${outcome.resumedFrom})`;
        appendManifest(data.manifest, {
          ...{ input: data.job.input, output: data.job.output, status: 'done', inputDigest: data.inputDigest },
          ...{ settingsDigest: data.settingsDigest, seconds: outcome.seconds, message, by, job: job.id, at },
        });
        hooks.onJobEnd?.(data, 'done', `${outcome.seconds.toFixed(1)} s${message ? `, ${message}` : ''}`);
        return { seconds: outcome.seconds, resumedFrom: outcome.resumedFrom, by };
      } catch (err) {
        if (err instanceof UnrecoverableError) throw err;
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
  worker.on('failed', (job, err) => {
    if (!job) return;
    const last = job.attemptsMade >= (job.opts.attempts ?? 1);
    hooks.onJobEnd?.(job.data, last ? 'failed' : 'retry', `${err.message} (attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1})`);
    if (!last) return;
    appendManifest(job.data.manifest, {
      ...{ input: job.data.job.input, output: job.data.job.output, status: 'failed', inputDigest: job.data.inputDigest },
      ...{ settingsDigest: job.data.settingsDigest, message: err.message, by, job: job.id, at: new Date().toISOString() },
    });
  });
  // Connection errors are retried by the client, which says so (connection.ts); BullMQ repeats them here.
  worker.on('error', (err) => {
    if (!connection.lost) hooks.log(`queue: ${err.message}`);
  });
  return worker;
}
