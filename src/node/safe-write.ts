// Writing the files a person asked for without ever destroying one they own. Every path a run will
// write is checked, before any work starts, against the identities (device + inode, links
// resolved) of every input; each file is written under a temporary name beside it, then renamed.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
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

/** Refuses when writing `path` would replace one of `inputs` (the same file by any name). */
export function assertNotInput(path: string, inputs: readonly string[], what: string): void {
  const target = identity(path);
  if (!target) return;
  for (const input of inputs) {
    const id = identity(input);
    if (id && id.dev === target.dev && id.ino === target.ino) {
      const how = resolve(input) === resolve(path) ? '' : ' (the same file through a link)';
      throw new UserError(`${what} ${path} is the input ${input}${how}; refusing to write over it: choose another ${what}`);
    }
  }
}

/** A temporary name beside `path` that stays within the file system's name limit. */
export function tempPathFor(path: string): string {
  const suffix = `.${randomBytes(4).toString('hex')}.tmp`;
  let stem = `.${basename(path)}`;
  while (Buffer.byteLength(stem + suffix) > NAME_MAX) stem = stem.slice(0, -1);
  return join(dirname(path), stem + suffix);
}

const liveTemps = new Set<string>();
process.on('exit', () => {
  for (const temp of liveTemps) rmSync(temp, { force: true });
});

/**
 * A file that will be written at the end of a run, checked now: not a folder, not an input, a
 * name the file system takes, a folder that exists and takes a new file (its temporary file is
 * created now and kept open).
 */
export class PreparedWrite {
  private fd: number | null;

  private constructor(
    readonly path: string,
    private readonly temp: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  static prepare(
    path: string,
    options: { what: string; inputs?: readonly string[]; createFolder?: boolean; example?: string },
  ): PreparedWrite {
    const { what } = options;
    const abs = resolve(path);
    let isFolder = false;
    try {
      isFolder = statSync(abs).isDirectory();
    } catch {
      // absent: fine
    }
    if (isFolder || path.endsWith('/'))
      throw new UserError(`${what} ${path} is a folder; give a file name in it, such as ${join(path, options.example ?? 'out.png')}`);
    assertNotInput(path, options.inputs ?? [], what);
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
        throw new UserError(`${what} ${path}: cannot create the folder ${folder} (${why}); choose another ${what}`);
      }
    }
    const temp = tempPathFor(abs);
    let fd: number;
    try {
      fd = openSync(temp, 'wx', 0o644);
    } catch (err) {
      const why =
        code(err) === 'ENOENT' || code(err) === 'ENOTDIR'
          ? 'no such folder'
          : code(err) === 'EACCES' || code(err) === 'EPERM' || code(err) === 'EROFS'
            ? 'no permission to write there'
            : code(err);
      throw new UserError(`${what} ${path}: cannot write into ${folder} (${why}); choose another ${what}`);
    }
    liveTemps.add(temp);
    return new PreparedWrite(abs, temp, fd);
  }

  /** Writes `data` to the temporary file and renames it over the path. */
  commit(data: Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.path}: written already`);
    const fd = this.fd;
    this.fd = null;
    try {
      for (let at = 0; at < data.byteLength;) at += writeSync(fd, data, at, data.byteLength - at);
      fsyncSync(fd);
      closeSync(fd);
      renameSync(this.temp, this.path);
      liveTemps.delete(this.temp);
    } catch (err) {
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
      this.discard();
      throw new WriteError(`cannot write ${this.path} (${code(err)})`, this.path, code(err));
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

  /** Removes the temporary file (nothing was written). */
  discard(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
    rmSync(this.temp, { force: true });
    liveTemps.delete(this.temp);
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
