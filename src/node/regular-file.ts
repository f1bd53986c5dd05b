// Input files must be regular files: a path may name a folder, /dev/zero or a FIFO, and reading
// a FIFO waits for a writer that never comes (the run hangs without a word). Opened without
// blocking, so that a FIFO is refused at once; every reader of an input file starts here.

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { UserError } from '../util/errors.js';

/** The path names something other than a regular file: `kind` says what ("a FIFO (named pipe)"). */
export class NotRegularFileError extends UserError {
  constructor(
    readonly path: string,
    readonly kind: string,
    /** What to do instead, to end the message ("give a weights file"). */
    fix = 'give the path of a file',
  ) {
    super(`${path} is ${kind}, not a regular file; ${fix}`);
  }
}

/** open(2) flags for reading without waiting for a FIFO's writer. */
export const READ_NONBLOCK = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * A descriptor of the regular file `path` and its stat; throws NotRegularFileError (ending with
 * `fix`), or open's own error (ENOENT, EACCES) for the caller to word.
 */
export function openRegularFile(path: string, fix?: string): { fd: number; stat: Stats } {
  const fd = openSync(path, READ_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new NotRegularFileError(path, fileKind(stat), fix);
    return { fd, stat };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Throws as openRegularFile does, and closes the file: for readers that open it their own way afterwards. */
export function checkRegularFile(path: string, fix?: string): Stats {
  const { fd, stat } = openRegularFile(path, fix);
  closeSync(fd);
  return stat;
}

/** The whole of the regular file `path` (as much as it holds when read); throws as openRegularFile does. */
export function readRegularFile(path: string, fix?: string): Uint8Array {
  const { fd, stat } = openRegularFile(path, fix);
  try {
    const bytes = new Uint8Array(stat.size);
    let filled = 0;
    while (filled < bytes.length) {
      const n = readSync(fd, bytes, filled, bytes.length - filled, filled);
      if (n === 0) break; // the file shrank meanwhile: the format's own checks say what is missing
      filled += n;
    }
    return bytes.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

export function fileKind(stat: Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  return 'something else';
}
