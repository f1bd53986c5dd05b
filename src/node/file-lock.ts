// An advisory lock between processes sharing a folder (the weights cache): a file created
// exclusively that holds its owner's pid and a token of its own. Two `wgpu-style weights fetch`
// of the same file at the same moment shared one `.part` file, and one deleted it under the other;
// now the second waits for the first and uses its result.
// The owner touches the lock every few seconds while it holds it. A lock is taken over when its
// owner no longer runs, or when nobody has touched it for LOCK_STALE_MS (a pid reused by an
// unrelated process, such as pid 1, kept it "held" forever before). A lock path that is a folder
// or cannot be read is refused at once, naming it. Limits: the owner is a pid on this host (a
// cache on a network file system shared between hosts is only protected by the heartbeat), and a
// holder frozen (SIGSTOP) for longer than LOCK_STALE_MS loses its lock.

import { randomUUID } from 'node:crypto';
import { linkSync, lstatSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { fileKind } from './regular-file.js';

/** A lock nobody has touched for this long is stale, whoever its pid names (its owner touches it every LOCK_HEARTBEAT_MS). */
export const LOCK_STALE_MS = 60_000;
const LOCK_HEARTBEAT_MS = 5_000;
/** A lock still without a pid after this long was left by a writer that died while creating it. */
const STARTING_MS = 10_000;

export interface LockOptions {
  /** Called once when another live process holds the lock, with its pid. */
  onWait?: (pid: number) => void;
  /** How often to look again while waiting (ms; default 250). */
  pollMs?: number;
  /** Take over a lock untouched for this long (default LOCK_STALE_MS). */
  staleMs?: number;
  /** How often the holder touches its lock (default LOCK_HEARTBEAT_MS; keep it well under staleMs). */
  heartbeatMs?: number;
}

/**
 * Runs `fn` holding the lock file `path`, waiting while another live process holds it and keeps it
 * fresh. A lock whose process no longer runs, or untouched for `staleMs`, is taken over.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const mine = `${process.pid}\n${randomUUID()}\n`;
  const staleMs = options.staleMs ?? LOCK_STALE_MS;
  let told = false;
  for (;;) {
    try {
      writeFileSync(path, mine, { flag: 'wx' });
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST')
        throw new UserError(
          `cannot create the lock file ${path} (${code ?? (err as Error).message}); free some space or choose another folder`,
        );
    }
    const owner = lockOwner(path, staleMs);
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
  const heartbeat = setInterval(() => {
    if (isMine(path, mine)) touch(path);
  }, options.heartbeatMs ?? LOCK_HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    // Only our own lock: one taken over meanwhile (we were frozen past staleMs) is its new owner's.
    if (isMine(path, mine)) rmSync(path, { force: true });
  }
}

type Owner = { kind: 'held'; pid: number } | { kind: 'stale'; text: string } | { kind: 'starting' } | { kind: 'gone' };

/** Who holds the lock: a live pid, nobody (stale, with the file's text), a writer not done yet, or no file any more. */
function lockOwner(path: string, staleMs: number): Owner {
  let text: string;
  let ageMs: number;
  try {
    const stat = lstatSync(path);
    if (!stat.isFile())
      throw new UserError(`the lock file ${path} is ${fileKind(stat)}, not a lock wgpu-style made; remove it, then run the command again`);
    ageMs = Date.now() - stat.mtimeMs;
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'gone' };
    throw new UserError(
      `cannot read the lock file ${path} (${code ?? (err as Error).message}); if no other wgpu-style is fetching into that folder, remove it and run the command again`,
    );
  }
  const pid = Number(text.split('\n')[0]!.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return ageMs > STARTING_MS ? { kind: 'stale', text } : { kind: 'starting' };
  return isRunning(pid) && ageMs <= staleMs ? { kind: 'held', pid } : { kind: 'stale', text };
}

function isMine(path: string, mine: string): boolean {
  try {
    return readFileSync(path, 'utf8') === mine;
  } catch {
    return false;
  }
}

function touch(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // Gone or taken over: the waiters decide by what they find.
  }
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
