// Writing the files a person asked for without ever destroying one they own. Every path a run will
// write is checked, before any work starts, against the identities (device + inode, links
// resolved) of every input; each file is written under a temporary name beside it, then renamed.
// The temporary file exists only while it is written, and carries its writer's pid, so that a run
// killed in that moment leaves one that a later run recognises as stale and removes.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../util/errors.js';

/** Most file systems limit one name to 255 bytes. */
const NAME_MAX = 255;

export class WriteError extends UserError {
  constructor(
    message: string,
    readonly path: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

interface Identity {
  dev: bigint;
  ino: bigint;
}

/** The file `path` names, links followed; null when there is none. */
function identity(path: string): Identity | null {
  try {
    const s = statSync(path, { bigint: true });
    return { dev: s.dev, ino: s.ino };
  } catch {
    return null;
  }
}

/** Refuses when writing `path` would replace one of `inputs` (the same file by any name); `fix` says what to change. */
export function assertNotInput(path: string, inputs: readonly string[], what: string, fix = `choose another ${what}`): void {
  const target = identity(path);
  if (!target) return;
  for (const input of inputs) {
    const id = identity(input);
    if (id && id.dev === target.dev && id.ino === target.ino) {
      const how = resolve(input) === resolve(path) ? '' : ' (the same file through a link)';
      throw new UserError(`${what} ${path} is the input ${input}${how}; refusing to write over it: ${fix}`);
    }
  }
}

/** A temporary file of ours not written to for this long is stale even if a process has its pid (pids are reused). */
const STALE_MS = 60 * 60 * 1000;

/** A temporary name beside `path` that stays within the file system's name limit: `.<name>.<pid>-<8 hex>.tmp`. */
export function tempPathFor(path: string, pid = process.pid, tag = randomBytes(4).toString('hex')): string {
  const suffix = `.${pid}-${tag}.tmp`;
  let stem = `.${basename(path)}`;
  while (Buffer.byteLength(stem + suffix) > NAME_MAX) stem = stem.slice(0, -1);
  return join(dirname(path), stem + suffix);
}

const liveTemps = new Set<string>();
process.on('exit', () => {
  for (const temp of liveTemps) rmSync(temp, { force: true });
});

/**
 * Removes temporary files that runs writing `path` left behind when killed mid-write: only names
 * tempPathFor gives `path` exactly, whose process is gone or that are stale.
 */
export function removeStaleTemps(path: string): void {
  const folder = dirname(resolve(path));
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const match = /\.(\d{1,10})-([0-9a-f]{8})\.tmp$/.exec(name);
    if (!match || basename(tempPathFor(resolve(path), Number(match[1]), match[2])) !== name) continue;
    const temp = join(folder, name);
    if (liveTemps.has(temp)) continue;
    try {
      const stat = lstatSync(temp);
      if (!stat.isFile()) continue;
      if (processAlive(Number(match[1])) && Date.now() - stat.mtimeMs < STALE_MS) continue;
      rmSync(temp, { force: true });
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return code(err) === 'EPERM'; // someone else's process
  }
}

/**
 * A file that will be written at the end of a run, checked now: not a folder, not an input, a
 * name the file system takes, a folder that exists and takes a new file (a temporary file is
 * created there and removed at once; the one the data goes to is created only to be written).
 */
export class PreparedWrite {
  private done = false;

  private constructor(readonly path: string) {}

  static prepare(
    path: string,
    options: { what: string; inputs?: readonly string[]; createFolder?: boolean; example?: string; fix?: string },
  ): PreparedWrite {
    const { what } = options;
    // What to change, in words naming a setting the user has (default: another `what`).
    const fix = options.fix ?? `choose another ${what}`;
    const abs = resolve(path);
    let isFolder = false;
    try {
      isFolder = statSync(abs).isDirectory();
    } catch {
      // absent: fine
    }
    if (isFolder || path.endsWith('/'))
      throw new UserError(`${what} ${path} is a folder; give a file name in it, such as ${join(path, options.example ?? 'out.png')}`);
    assertNotInput(path, options.inputs ?? [], what, fix);
    if (Buffer.byteLength(basename(abs)) > NAME_MAX) {
      throw new UserError(
        `${what} ${path}: the file name is ${Buffer.byteLength(basename(abs))} bytes, more than the ${NAME_MAX} most file systems allow; choose a shorter name`,
      );
    }
    const folder = dirname(abs);
    if (options.createFolder) {
      try {
        mkdirSync(folder, { recursive: true });
      } catch (err) {
        const why = code(err) === 'EEXIST' || code(err) === 'ENOTDIR' ? 'a file stands where a folder should be' : code(err);
        throw new UserError(`${what} ${path}: cannot create the folder ${folder} (${why}); ${fix}`);
      }
    }
    removeStaleTemps(abs);
    const probe = tempPathFor(abs);
    try {
      closeSync(openSync(probe, 'wx', 0o644));
      rmSync(probe, { force: true });
    } catch (err) {
      const why =
        code(err) === 'ENOENT' || code(err) === 'ENOTDIR'
          ? 'no such folder'
          : code(err) === 'EACCES' || code(err) === 'EPERM' || code(err) === 'EROFS'
            ? 'no permission to write there'
            : code(err);
      throw new UserError(`${what} ${path}: cannot write into ${folder} (${why}); ${fix}`);
    }
    return new PreparedWrite(abs);
  }

  /**
   * Writes `data` over `path` in a folder that must exist already: a file a run writes again and
   * again (a checkpoint, a snapshot), whose folder was checked before the run. A folder removed
   * since is not made again; a WriteError says why the write failed (ENOENT, ENOSPC).
   */
  static replace(path: string, data: Uint8Array): void {
    new PreparedWrite(resolve(path)).commit(data);
  }

  /** Writes `data` to a temporary file beside the path and renames it over the path. */
  commit(data: Uint8Array): void {
    if (this.done) throw new Error(`${this.path}: written already`);
    this.done = true;
    const temp = tempPathFor(this.path);
    liveTemps.add(temp);
    let fd: number | null = null;
    try {
      fd = openSync(temp, 'wx', 0o644);
      for (let at = 0; at < data.byteLength;) at += writeSync(fd, data, at, data.byteLength - at);
      fsyncSync(fd);
      closeSync(fd);
      fd = null;
      renameSync(temp, this.path);
    } catch (err) {
      try {
        if (fd !== null) closeSync(fd);
      } catch {
        // closed already
      }
      rmSync(temp, { force: true });
      throw new WriteError(`cannot write ${this.path} (${code(err)})`, this.path, code(err));
    } finally {
      liveTemps.delete(temp);
    }
  }

  /**
   * Commits; if that fails, writes the data to a fallback file (the system's temporary folder,
   * then the current folder) and returns its path, so a finished result is never lost.
   */
  commitOrFallback(data: Uint8Array): { path: string; failure: string | null } {
    try {
      this.commit(data);
      return { path: this.path, failure: null };
    } catch (err) {
      const failure = (err as Error).message;
      const name = `wgpu-style-${new Date().toISOString().replace(/[:.]/g, '-')}-${basename(this.path)}`.slice(0, 200);
      for (const folder of [tmpdir(), process.cwd()]) {
        try {
          writeFileAtomic(join(folder, name), data);
          return { path: join(folder, name), failure };
        } catch {
          // try the next place
        }
      }
      throw new UserError(
        `${failure}; writing it to ${join(tmpdir(), name)} or ${join(process.cwd(), name)} failed too: the result is lost`,
      );
    }
  }

  /** Nothing will be written (the run failed): no file was created, so there is nothing to remove. */
  discard(): void {
    this.done = true;
  }
}

/** Writes to a temporary file beside `path`, then renames: a crash never leaves half a file. */
export function writeFileAtomic(path: string, data: Uint8Array): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  PreparedWrite.prepare(path, { what: 'file' }).commit(data);
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}
