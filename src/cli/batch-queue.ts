// `wgpu-style batch … --queue redis://…`: the batch's images become jobs on the queue (what the
// manifest has done is skipped, an unreadable file reported); with --wait, the whole batch's
// progress until every job is done or failed for good.

import type { SummaryEntry } from '../batch/local.js';
import type { BatchPlan } from '../batch/prepare.js';
import { queueConnection } from '../batch/connection.js';
import { enqueueItems, openQueue, waitForItems, type QueueOutcome } from '../batch/queue.js';
import { printSummary, SOME_FAILED } from './batch-report.js';
import { stopOnCtrlC } from './interrupt.js';
import { duration } from './report.js';

export async function runQueuedBatch(
  plan: BatchPlan,
  queue: { url: string; name: string; ca?: string; wait: boolean; attempts: number },
): Promise<number> {
  const started = performance.now();
  const connection = queueConnection(queue.url, '--queue', (m) => console.error(m), { caFile: queue.ca, caFlag: '--queue-ca' });
  const todo = plan.items.filter((i) => i.state === 'todo');
  const skipped = plan.items.filter((i) => i.state === 'skip');
  const unreadable = plan.items.filter((i) => i.state === 'unreadable');
  for (const i of unreadable) console.error(`${i.input}: cannot read this file; skipped`);
  const q = openQueue(connection, queue.name);
  q.on('error', (err) => connection.noteError(err));
  const interrupt = stopOnCtrlC('stopped following the batch; its jobs stay on the queue');
  try {
    const { added, already } = await enqueueItems(q, todo, {
      manifest: plan.manifest,
      settingsDigest: plan.settingsDigest,
      attempts: queue.attempts,
    });
    connection.reconnected();
    console.error(
      `queued ${added} images on ${connection.shown} (queue ${queue.name})` +
        `${already ? `, ${already} already queued` : ''}${skipped.length ? `, ${skipped.length} done before (skipped)` : ''}`,
    );
    if (!queue.wait) return unreadable.length > 0 ? SOME_FAILED : 0;
    const outcomes = await waitForItems(q, todo, {
      signal: interrupt.signal,
      onPoll: () => connection.reconnected(),
      onChange: (c) =>
        console.error(
          `batch: ${c.done + c.failed}/${c.total} (${c.done} done, ${c.failed} failed, ${c.active} running)${c.etaSeconds === null ? '' : `, ETA ${duration(c.etaSeconds)}`}`,
        ),
      onEnd: (o) => console.error(`${o.item.name}: ${o.status}${o.message ? ` (${o.message})` : ''}`),
    });
    if (interrupt.signal.aborted) return 130;
    const byKey = new Map<string, QueueOutcome>(outcomes.map((o) => [o.item.key, o]));
    const entries = plan.items.map((i): Pick<SummaryEntry, 'name' | 'status' | 'seconds' | 'message'> => {
      const o = byKey.get(i.key);
      if (i.state === 'skip') return { name: i.name, status: 'skipped', seconds: null, message: null };
      if (i.state === 'unreadable') return { name: i.name, status: 'failed', seconds: null, message: 'cannot read this file' };
      return { name: i.name, status: o?.status ?? 'not started', seconds: o?.seconds ?? null, message: o?.message ?? null };
    });
    printSummary(entries, (performance.now() - started) / 1000);
    return entries.some((e) => e.status === 'failed') ? SOME_FAILED : 0;
  } finally {
    interrupt.dispose();
    await q.close();
  }
}
