// A run's phase (StylePhase, job-types.ts) in words: the one wording the terminal and the page show.

import type { StylePhase } from './job-types.js';

/** "scale 1/2: tuning 3/13 shapes (the conv variants for 128×96 on this adapter, once)", … */
export function phaseText(p: StylePhase): string {
  const of = p.done !== undefined && p.total !== undefined ? ` ${p.done}/${p.total}` : '';
  const where = p.scale > 0 ? `scale ${p.scale}/${p.scales}: ` : '';
  switch (p.phase) {
    case 'loading':
      return `loading ${p.detail ?? ''}${of}`.trimEnd();
    case 'tuning':
      return `${where}tuning${of} shapes (the conv variants${p.detail ? ` for ${p.detail}` : ''} on this adapter, once)`;
    case 'targets':
      return `${where}style and content targets${p.done !== undefined && p.done === p.total ? ' done' : ''}`;
    case 'steps':
      return `${where}steps${p.detail ? ` at ${p.detail}` : ''}${p.total !== undefined ? ` (${p.total})` : ''}`;
  }
}

/** Whether an event ends its phase (the last update of a line that redraws in place). */
export function phaseEnds(p: StylePhase): boolean {
  return p.phase === 'steps' || p.done === undefined || p.done === p.total;
}
