// The producer's side of the queue: a batch's images become BullMQ jobs (one per image, named by
// its key, so that enqueueing the same batch again adds nothing twice), each tried `attempts`
// times before it is marked failed with its reason; --wait follows them to the end.

import { Queue, type Job } from 'bullmq';
import { hostname } from 'node:os';
import type { QueueConnection } from './connection.js';
import type { PlannedItem } from './prepare.js';
import type { ImageJob } from './runner.js';

export const DEFAULT_QUEUE_NAME = 'wgpu-style';
export const DEFAULT_ATTEMPTS = 3;
/** Milliseconds before a failed job is tried again. */
const RETRY_DELAY_MS = 1000;
/** How often --wait looks at its jobs. */
const POLL_MS = 500;

/** What a job carries: the image's work and what its manifest line needs. */
export interface QueueJobData {
  job: ImageJob;
  name: string;
  manifest: string;
  inputDigest: string;
  settingsDigest: string;
  /** Who enqueued it (host:pid), for people reading the queue. */
  from: string;
}

/** What a worker returns for a done image. */
export interface QueueJobResult {
  seconds: number;
  resumedFrom: string;
  by: string;
}

export function openQueue(connection: QueueConnection, name: string): Queue<QueueJobData, QueueJobResult> {
  return new Queue<QueueJobData, QueueJobResult>(name, { connection: connection.options });
}

/**
 * Adds a job for each item to do. A job of the same key still waiting or running is left as it is;
 * one that ended (done or failed) is replaced, so that a rerun after removing an output does it again.
 */
export async function enqueueItems(
  queue: Queue<QueueJobData, QueueJobResult>,
  items: readonly PlannedItem[],
  batch: { manifest: string; settingsDigest: string; attempts: number },
): Promise<{ added: number; already: number }> {
  let added = 0;
  let already = 0;
  const from = `${hostname()}:${process.pid}`;
  for (const item of items) {
    const existing = await queue.getJob(item.key);
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed') {
        already++;
        continue;
      }
      await existing.remove();
    }
    const data: QueueJobData = {
      job: item.job,
      name: item.name,
      manifest: batch.manifest,
      inputDigest: item.inputDigest,
      settingsDigest: batch.settingsDigest,
      from,
    };
    await queue.add('image', data, {
      jobId: item.key,
      attempts: batch.attempts,
      backoff: { type: 'fixed', delay: RETRY_DELAY_MS },
      removeOnComplete: { age: 7 * 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
    added++;
  }
  return { added, already };
}

export interface QueueOutcome {
  item: PlannedItem;
  status: 'done' | 'failed';
  seconds: number | null;
  message: string | null;
}

export interface WaitCounts {
  done: number;
  failed: number;
  active: number;
  total: number;
  etaSeconds: number | null;
}

/**
 * Follows the items' jobs until each is completed or failed (for good: after its attempts),
 * calling `onChange` when the counts change and `onEnd` for each as it ends.
 */
export async function waitForItems(
  queue: Queue<QueueJobData, QueueJobResult>,
  items: readonly PlannedItem[],
  hooks: { onChange?: (c: WaitCounts) => void; onEnd?: (o: QueueOutcome) => void; signal?: AbortSignal; onPoll?: () => void },
): Promise<QueueOutcome[]> {
  const started = performance.now();
  const pending = new Map(items.map((i) => [i.key, i]));
  const ended: QueueOutcome[] = [];
  let last = '';
  while (pending.size > 0 && !hooks.signal?.aborted) {
    let active = 0;
    for (const [key, item] of pending) {
      const job = await queue.getJob(key);
      const state = job ? await job.getState() : 'unknown';
      if (state === 'active') active++;
      const outcome = job && finished(item, job, state);
      if (!outcome) continue;
      pending.delete(key);
      ended.push(outcome);
      hooks.onEnd?.(outcome);
    }
    hooks.onPoll?.();
    const done = ended.filter((o) => o.status === 'done').length;
    const elapsed = (performance.now() - started) / 1000;
    const etaSeconds = ended.length > 0 ? (elapsed / ended.length) * pending.size : null;
    const counts = { done, failed: ended.length - done, active, total: items.length, etaSeconds };
    const now = JSON.stringify([counts.done, counts.failed, counts.active]);
    if (now !== last) hooks.onChange?.(counts);
    last = now;
    if (pending.size > 0) await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return ended;
}

function finished(item: PlannedItem, job: Job<QueueJobData, QueueJobResult>, state: string): QueueOutcome | null {
  if (state === 'completed') return { item, status: 'done', seconds: job.returnvalue?.seconds ?? null, message: null };
  if (state === 'failed')
    return { item, status: 'failed', seconds: null, message: `${job.failedReason} (after ${job.attemptsMade} attempts)` };
  return null;
}
