// An advisory lock between processes sharing a folder (the weights cache): a file created
// exclusively that holds its owner's pid. Two `wgpu-style weights fetch` of the same file at the
// same moment shared one `.part` file, and one deleted it under the other; now the second waits
// for the first and uses its result. A lock whose owner is gone (killed, crashed) is taken over.
// Limits: the owner is a pid on this host (a cache on a network file system shared between
// hosts is not protected), and a pid reused by an unrelated process keeps the lock held until that
// process ends (Ctrl-C and delete the lock file named in the wait message).

import { linkSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { UserError } from '../util/errors.js';

export interface LockOptions {
  /** Called once when another process holds the lock: its pid, or null when the lock file cannot be read. */
  onWait?: (pid: number | null) => void;
  /** How often to look again while waiting (ms; default 250). */
  pollMs?: number;
}

/**
 * Runs `fn` holding the lock file `path`, waiting while another live process holds it. A lock file
 * left by a process that no longer runs, or one still empty after 10 s, is stale: taken over.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  let told = false;
  for (;;) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST')
        throw new UserError(
          `cannot create the lock file ${path} (${code ?? (err as Error).message}); free some space or choose another folder`,
        );
    }
    const owner = lockOwner(path);
    if (owner.kind === 'stale') {
      takeOver(path, owner.text);
      continue;
    }
    if (owner.kind === 'held' && !told) {
      told = true;
      options.onWait?.(owner.pid);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
  try {
    return await fn();
  } finally {
    try {
      rmSync(path, { force: true });
    } catch {
      // The lock stays behind; the next run finds its owner gone and takes it over.
    }
  }
}

type Owner = { kind: 'held'; pid: number | null } | { kind: 'stale'; text: string } | { kind: 'starting' } | { kind: 'gone' };

/** Who holds the lock: a live pid, nobody (stale, with the file's text), a writer not done yet, or no file any more. */
function lockOwner(path: string): Owner {
  let text: string;
  let ageMs: number;
  try {
    text = readFileSync(path, 'utf8');
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? { kind: 'gone' } : { kind: 'held', pid: null };
  }
  const pid = Number(text.trim());
  if (!text.trim() || !Number.isSafeInteger(pid) || pid <= 0) return ageMs > 10_000 ? { kind: 'stale', text } : { kind: 'starting' };
  return isRunning(pid) ? { kind: 'held', pid } : { kind: 'stale', text };
}

/**
 * Removes a stale lock without removing a fresh one another waiter made meanwhile: the file is
 * renamed aside (atomic), and if what was renamed is not the stale lock read before, it is put back
 * (link fails if yet another lock exists, which then stands).
 */
function takeOver(path: string, staleText: string): void {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return; // gone already: someone else took it over
  }
  try {
    if (readFileSync(aside, 'utf8') !== staleText) linkSync(aside, path);
  } catch {
    // Another lock exists now: it stands.
  } finally {
    rmSync(aside, { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // it runs, as another user
  }
}
