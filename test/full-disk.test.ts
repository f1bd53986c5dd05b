// A disk that fills during a run costs the checkpoints, never the image in memory: a checkpoint
// that cannot be written is a warning, the run goes on, and the one written before stays whole.
// The disk is made full by failing every write (ENOSPC) after the first checkpoint, as a full
// file system does, without needing one.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { syntheticWeights } from '../src/index.js';
import { readCheckpoint, stylize } from '../src/node/stylize.js';
import { picture } from './helpers/pictures.js';

const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
    if (disk.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return (fs.writeSync as (...a: unknown[]) => number)(...args);
  }) as typeof fs.writeSync;
  return { ...fs, writeSync, default: { ...fs, writeSync } };
});

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-full-disk-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a full disk during a run', () => {
  it('a checkpoint that cannot be written is a warning: the run finishes with its image, the earlier checkpoint stays', async () => {
    const path = join(work, 'run.ckpt');
    const log: string[] = [];
    const result = await stylize({
      content: picture(40, 30, 'content'),
      styles: [picture(32, 32, 'style')],
      weights: syntheticWeights(5),
      size: 32,
      scales: 1,
      steps: 6,
      autotune: false,
      checkpoint: { path, every: 2 },
      log: (m) => {
        log.push(m);
        if (m.startsWith('checkpoint: ')) disk.full = true; // the disk fills after the first one
      },
    });
    disk.full = false;
    expect(result.stopped).toBeNull();
    expect(result.history.at(-1)!.step).toBe(6);
    expect(result.image.width).toBe(32);
    const warnings = log.filter((m) => m.startsWith('warning:'));
    expect(warnings, log.join('\n')).toEqual([
      `warning: checkpoint not written: cannot write ${path} (ENOSPC); ${path} keeps the one before; the run goes on`,
    ]);
    const kept = await readCheckpoint(path);
    expect([kept.state.scale, kept.state.step]).toEqual([1, 2]);
  });
});
