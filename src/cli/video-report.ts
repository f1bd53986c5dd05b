// Progress of a video run: each report of a frame's optimisation, and each finished frame with the
// whole video's ETA. JSON lines on stdout (--json), a live line on a terminal, plain lines otherwise.

import type { StylizeVideoResult } from '../node/video.js';
import type { StyleProgress } from '../style/job.js';
import type { VideoProgress } from '../video/job.js';
import { duration } from './report.js';
import { jsonLine } from './progress.js';
import { isOpen } from './streams.js';

const fmt = (x: number | null) => (x === null ? '-' : x.toPrecision(4));

export class VideoPrinter {
  constructor(
    private readonly json: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  private get open(): boolean {
    return isOpen(this.json ? process.stdout : this.stream);
  }

  /** A report within a frame. */
  step(p: StyleProgress & { frame: number; frames: number }): void {
    if (!this.open) return;
    if (this.json) return jsonLine('progress', p);
    const scale = p.scales > 1 ? `scale ${p.scale}/${p.scales} ` : '';
    const line =
      `frame ${p.frame}/${p.frames} ${scale}${p.width}×${p.height} step ${p.step}/${p.steps} ` +
      `loss ${fmt(p.total)} (content ${fmt(p.content)}, style ${fmt(p.style)}, tv ${fmt(p.tv)}, temporal ${fmt(p.temporal)}${p.histogram === null ? '' : `, histogram ${fmt(p.histogram)}`}) ` +
      `${p.stepSeconds.toFixed(2)} s/step`;
    this.write(line, false);
  }

  /** A frame finished (or found done already, on --resume). */
  frame(p: VideoProgress): void {
    if (!this.open) return;
    if (this.json) return jsonLine('frame', p);
    const eta = p.etaSeconds === null ? '' : `, ETA ${duration(p.etaSeconds)}`;
    const flow = p.flowSeconds > 0 ? ` (flow ${duration(p.flowSeconds)})` : '';
    const losses =
      p.losses.total === null ? '' : ` loss ${fmt(p.losses.total)} (style ${fmt(p.losses.style)}, temporal ${fmt(p.losses.temporal)})`;
    this.write(
      `frame ${p.frame}/${p.frames} done in ${duration(p.frameSeconds)}${flow}${losses}; video ${p.framesDone}/${p.frames}${eta}`,
      true,
    );
  }

  done(result: StylizeVideoResult, output: string): void {
    if (!this.open) return;
    if (this.json) {
      const { history: _history, ...summary } = result;
      return jsonLine('summary', { ...summary, output: result.output });
    }
    if (result.message) this.stream.write(`${result.stopped === 'diverged' ? 'error' : 'note'}: ${result.message}\n`);
    if (result.stopped === null) {
      const skipped = result.skipped > 0 ? ` (${result.skipped} done before, kept)` : '';
      this.stream.write(
        `wrote ${output}: ${result.frames} frames${skipped} in ${duration(result.seconds)}, flow ${duration(result.flowSeconds)}\n`,
      );
    }
  }

  private write(line: string, keep: boolean): void {
    if (this.stream.isTTY) this.stream.write(`\r${line}\x1b[K${keep ? '\n' : ''}`);
    else this.stream.write(`${line}\n`);
  }
}
