// Progress of a style run: JSON lines on stdout (--json), a live line on a terminal, or one
// plain line per report when stderr is a file or pipe.

import type { StyleProgress, StyleResult } from '../style/job.js';
import { jsonLine } from './progress.js';
import { isOpen } from './streams.js';

export class ProgressPrinter {
  constructor(
    private readonly json: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  progress(p: StyleProgress): void {
    if (!isOpen(this.json ? process.stdout : this.stream)) return;
    if (this.json) {
      jsonLine('progress', p);
      return;
    }
    const fmt = (x: number | null) => (x === null ? '-' : x.toPrecision(4));
    const line =
      `scale ${p.scale}/${p.scales} ${p.width}×${p.height} step ${p.step}/${p.steps}${p.iteration === p.step ? '' : ` (iteration ${p.iteration})`} ` +
      `loss ${fmt(p.total)} (content ${fmt(p.content)}, style ${fmt(p.style)}, tv ${fmt(p.tv)}${p.histogram === null ? '' : `, histogram ${fmt(p.histogram)}`}) ` +
      `${p.stepSeconds.toFixed(2)} s/step, ETA ${duration(eta(p))}`;
    const ended = p.ended ? `note: scale ${p.scale} ended at step ${p.step} of ${p.steps}, ${p.ended}\n` : '';
    if (this.stream.isTTY) this.stream.write(`\r${line}\x1b[K${ended || (p.step === p.steps && p.scale === p.scales) ? '\n' : ''}${ended}`);
    else this.stream.write(`${line}\n${ended}`);
  }

  done(result: StyleResult, output: string): void {
    const last = result.history.at(-1);
    if (!isOpen(this.json ? process.stdout : this.stream)) return;
    if (this.json) {
      jsonLine('summary', {
        output,
        width: result.image.width,
        height: result.image.height,
        seconds: result.seconds,
        stopped: result.stopped,
        message: result.message,
        final: last ?? null,
      });
    } else {
      if (this.stream.isTTY) this.stream.write('\n');
      if (result.message) this.stream.write(`${result.stopped === 'diverged' ? 'error' : 'note'}: ${result.message}\n`);
      this.stream.write(`wrote ${output} (${result.image.width}×${result.image.height}) in ${duration(result.seconds)}\n`);
    }
  }
}

/** This scale's remaining steps, plus later scales estimated at 4× the pixels each. */
function eta(p: StyleProgress): number {
  let seconds = (p.steps - p.step) * p.stepSeconds;
  let perStep = p.stepSeconds;
  for (let s = p.scale; s < p.scales; s++) {
    perStep *= 4;
    seconds += p.steps * perStep;
  }
  return seconds;
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return m < 60
    ? `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
