// An advisory lock between processes sharing a folder (the weights cache): a file created
// exclusively that holds its owner's pid. Two `wgpu-style weights fetch` of the same file at the
// same moment shared one `.part` file, and one deleted it under the other; now the second waits
// for the first and uses its result. A lock whose owner is gone (killed, crashed) is taken over.

import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';

export interface LockOptions {
  /** Called once when another live process holds the lock, with its pid. */
  onWait?: (pid: number) => void;
  /** How often to look again while waiting (ms; default 250). */
  pollMs?: number;
}

/**
 * Runs `fn` holding the lock file `path`, waiting while a live process holds it. A lock file left
 * by a process that no longer runs, or one still empty after 10 s, is stale: removed and taken.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  let told = false;
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = lockOwner(path);
    if (owner === 'stale') {
      rmSync(path, { force: true });
      continue;
    }
    if (owner !== 'gone' && owner !== 'starting' && !told) {
      told = true;
      options.onWait?.(owner);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

/** The pid holding the lock; 'stale' when its owner is gone; 'starting' while it is being written; 'gone' if released meanwhile. */
function lockOwner(path: string): number | 'stale' | 'starting' | 'gone' {
  let text: string;
  let ageMs: number;
  try {
    text = readFileSync(path, 'utf8');
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch {
    return 'gone';
  }
  const pid = Number(text.trim());
  if (!text.trim() || !Number.isSafeInteger(pid) || pid <= 0) return ageMs > 10_000 ? 'stale' : 'starting';
  return isRunning(pid) ? pid : 'stale';
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // it runs, as another user
  }
}
