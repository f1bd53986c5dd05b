// The one-machine batch: one process, one device, the weights and the style session kept warm, the
// images one after another. Images done before (the manifest) are skipped; a bad or unreadable
// image is recorded as failed and the batch goes on; an abort (Ctrl-C) stops the image in progress
// with its checkpoint written, so that the same command resumes it.

import { hostname } from 'node:os';
import type { StyleProgress } from '../style/job.js';
import type { StylePhase } from '../style/job-types.js';
import { userErrorMessage } from './errors.js';
import { appendManifest, type ImageStatus } from './manifest.js';
import { prepareBatch, type BatchSpec, type PlannedItem } from './prepare.js';
import { BatchRunner, type RunnerOptions } from './runner.js';

export type SummaryStatus = ImageStatus | 'skipped' | 'not started';

export interface SummaryEntry {
  name: string;
  input: string;
  output: string;
  status: SummaryStatus;
  seconds: number | null;
  message: string | null;
}

export interface BatchCounts {
  /** Images finished in this run (done or failed), of those it had to do. */
  finished: number;
  todo: number;
  /** Seconds left at the pace of the images done so far; null before the first. */
  etaSeconds: number | null;
}

export interface BatchHooks {
  signal?: AbortSignal;
  onPlan?: (items: readonly PlannedItem[]) => void;
  onImageStart?: (item: PlannedItem, index: number, todo: number) => void;
  onProgress?: (item: PlannedItem, p: StyleProgress) => void;
  /** An image's phases (tuning a new size, its targets, its steps). */
  onPhase?: (item: PlannedItem, p: StylePhase) => void;
  onImageEnd?: (entry: SummaryEntry, counts: BatchCounts) => void;
  log?: (message: string) => void;
}

export interface BatchSummary {
  entries: SummaryEntry[];
  seconds: number;
  stopped: boolean;
}

export async function runBatch(spec: BatchSpec, runnerOptions: RunnerOptions, hooks: BatchHooks = {}): Promise<BatchSummary> {
  const started = performance.now();
  const plan = prepareBatch(spec);
  hooks.onPlan?.(plan.items);
  const entries = new Map<PlannedItem, SummaryEntry>();
  const entry = (item: PlannedItem, status: SummaryStatus, seconds: number | null, message: string | null): SummaryEntry => {
    const e = { name: item.name, input: item.input, output: item.output, status, seconds, message };
    entries.set(item, e);
    return e;
  };
  const by = `${hostname()}:${process.pid}`;
  const record = (item: PlannedItem, status: ImageStatus, seconds: number | undefined, message: string | undefined) =>
    appendManifest(plan.manifest, {
      ...{ input: item.input, output: item.output, status, inputDigest: item.inputDigest, settingsDigest: plan.settingsDigest },
      ...{ seconds, message, by, at: new Date().toISOString() },
    });
  for (const item of plan.items) {
    if (item.state === 'skip') entry(item, 'skipped', null, 'done before with this input and these settings');
    if (item.state === 'unreadable') {
      const e = entry(item, 'failed', null, `${item.input}: cannot read this file`);
      record(item, 'failed', undefined, e.message!);
    }
  }
  const todo = plan.items.filter((i) => i.state === 'todo');
  let stopped = false;
  if (todo.length > 0) {
    const runner = await BatchRunner.open({ ...runnerOptions, log: hooks.log });
    try {
      stopped = await runAll(runner, todo, hooks, entry, record);
    } finally {
      runner.close();
    }
  }
  for (const item of todo) if (!entries.has(item)) entry(item, 'not started', null, null);
  return { entries: plan.items.map((i) => entries.get(i)!), seconds: (performance.now() - started) / 1000, stopped };
}

type Entry = (item: PlannedItem, status: SummaryStatus, seconds: number | null, message: string | null) => SummaryEntry;
type Record = (item: PlannedItem, status: ImageStatus, seconds: number | undefined, message: string | undefined) => void;

/** The images to do, in order, until done or aborted; true when aborted. */
async function runAll(runner: BatchRunner, todo: PlannedItem[], hooks: BatchHooks, entry: Entry, record: Record): Promise<boolean> {
  let finished = 0;
  let doneSeconds = 0;
  let done = 0;
  for (const [index, item] of todo.entries()) {
    if (hooks.signal?.aborted) return true;
    hooks.onImageStart?.(item, index, todo.length);
    let e: SummaryEntry;
    try {
      const outcome = await runner.run(item.job, {
        signal: hooks.signal,
        onProgress: (p) => hooks.onProgress?.(item, p),
        onPhase: (p) => hooks.onPhase?.(item, p),
      });
      if (outcome.status === 'stopped') {
        entry(item, 'stopped', outcome.seconds, outcome.message);
        record(item, 'stopped', outcome.seconds, outcome.message ?? undefined);
        return true;
      }
      const from = outcome.resumedFrom === 'start' ? null : `resumed from its checkpoint (${outcome.resumedFrom})`;
      e = entry(item, 'done', outcome.seconds, from);
      record(item, 'done', outcome.seconds, from ?? undefined);
      done++;
      doneSeconds += outcome.seconds;
    } catch (err) {
      // A bad image (a UserError: unreadable, too large, a diverged loss) is the user's; anything else is a bug and ends the batch.
      const message = userErrorMessage(err);
      if (message === null) throw err;
      e = entry(item, 'failed', null, message);
      record(item, 'failed', undefined, message);
    }
    finished++;
    const etaSeconds = done > 0 ? (doneSeconds / done) * (todo.length - finished) : null;
    hooks.onImageEnd?.(e, { finished, todo: todo.length, etaSeconds });
  }
  return false;
}
