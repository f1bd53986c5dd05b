// What a batch prints at its end, on one machine or through the queue: a line per image, the counts.

import type { SummaryEntry } from '../batch/local.js';
import { duration } from './report.js';

/** Exit status when some images failed (the others were done). */
export const SOME_FAILED = 5;

/** One line per image, then the counts. */
export function printSummary(entries: readonly Pick<SummaryEntry, 'name' | 'status' | 'seconds' | 'message'>[], seconds: number): void {
  const width = Math.min(40, Math.max(...entries.map((e) => e.name.length), 5));
  console.error('\nsummary');
  for (const e of entries)
    console.error(
      `  ${e.name.padEnd(width)}  ${e.status.padEnd(11)} ${e.seconds === null ? '' : `${e.seconds.toFixed(1)} s`}${e.message ? `  ${e.message}` : ''}`,
    );
  const count = (s: string) => entries.filter((e) => e.status === s).length;
  console.error(
    `${count('done')} done, ${count('skipped')} skipped, ${count('failed')} failed` +
      `${count('stopped') + count('not started') ? `, ${count('stopped') + count('not started')} left` : ''} in ${duration(seconds)}`,
  );
}
