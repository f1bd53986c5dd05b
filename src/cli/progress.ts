// Progress on stderr: a download's bar (redrawn on a terminal, a line every 10% otherwise) and a
// run's phases (loading, tuning, targets, steps); and --json's lines on stdout, whose schema starts here.

import type { StylePhase } from '../style/job-types.js';
import { phaseEnds, phaseText } from '../style/phase-text.js';
import { isOpen } from './streams.js';

/** One --json line on stdout: an object whose `type` says what it reports ('progress', 'phase', 'frame', 'summary', …). */
export function jsonLine(type: string, body: object): void {
  console.log(JSON.stringify({ type, ...body }));
}

/** A phase's progress redraws its line at most this often (a line per phase, never hundreds). */
const PHASE_REDRAW_MS = 1000;

/**
 * Prints a run's phases: with --json a {"type":"phase",…} line per event; else a line per phase on
 * `stream`, its progress (tuning 3/13 shapes) redrawn in place on a terminal, and elsewhere a
 * line at most once a second, plus the phase's last.
 */
export function phasePrinter(json: boolean, stream: NodeJS.WriteStream = process.stderr): (p: StylePhase) => void {
  let current: string | null = null; // the phase whose line is still open
  let lastDraw = 0;
  return (p) => {
    if (!isOpen(json ? process.stdout : stream)) return;
    if (json) return jsonLine('phase', p);
    const id = `${p.phase} ${p.scale}`;
    const ends = phaseEnds(p);
    const now = Date.now();
    if (id === current && !ends && now - lastDraw < PHASE_REDRAW_MS) return;
    lastDraw = now;
    if (stream.isTTY) stream.write(`${current !== null && id !== current ? '\n' : '\r'}${phaseText(p)}\x1b[K${ends ? '\n' : ''}`);
    else stream.write(`${phaseText(p)}\n`);
    current = ends ? null : id;
  };
}

export function byteProgress(label: string, stream: NodeJS.WriteStream = process.stderr): (received: number, total: number | null) => void {
  const started = Date.now();
  let lastTenth = -1;
  let lastDraw = 0;
  return (received, total) => {
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
    const rate = `${mb(received / seconds)} MB/s`;
    if (stream.isTTY) {
      const now = Date.now();
      if (now - lastDraw < 100 && received !== total) return;
      lastDraw = now;
      const fraction = total ? received / total : 0;
      const width = 30;
      const bar = total
        ? `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ${(fraction * 100).toFixed(0).padStart(3)}%`
        : '';
      stream.write(`\r${label} ${bar} ${mb(received)}${total ? `/${mb(total)}` : ''} MB ${rate}   `);
      if (received === total) stream.write('\n');
    } else if (total) {
      const tenth = Math.floor((received / total) * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        stream.write(`${label}: ${tenth * 10}% (${mb(received)}/${mb(total)} MB, ${rate})\n`);
      }
    }
  };
}
