// Where a checkpoint may be written: only over what is ours. Its name must end in .ckpt (as an
// output's must end in .png or .jpg), and a file already there must be a wgpu-style checkpoint, so
// that neither a typo nor a name taken from elsewhere replaces a file the user owns.

import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { CHECKPOINT_EXTENSION, hasCheckpointSignature, type Sha256 } from '../io/checkpoint-file.js';
import { UserError } from '../util/errors.js';

/** Refuses `path` as a checkpoint to write unless it is ours; `what` names it in the message (--checkpoint), `fix` what to change. */
export function assertCheckpointTarget(path: string, what: string, example: string, fix = `choose another ${what}`): void {
  if (!path.toLowerCase().endsWith(CHECKPOINT_EXTENSION) || path.length === CHECKPOINT_EXTENSION.length)
    throw new UserError(
      `${what} ${path}: a checkpoint's name must end in ${CHECKPOINT_EXTENSION} (such as ${example}), so that it never replaces another file`,
    );
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    return; // nothing there yet: a new file is ours
  }
  if (!isFile || !startsAsCheckpoint(path))
    throw new UserError(`${what} ${path} exists and is not a wgpu-style checkpoint; refusing to replace it: ${fix} or remove that file`);
}

function startsAsCheckpoint(path: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const head = new Uint8Array(8);
    return readSync(fd, head, 0, head.length, 0) === head.length && hasCheckpointSignature(head);
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** The incremental SHA-256 a run's identity is hashed with (runIdentity): node:crypto's, which copies no piece it is fed. */
export function nodeSha256(): Sha256 {
  const hash = createHash('sha256');
  return { update: (bytes) => void hash.update(bytes), hex: () => hash.digest('hex') };
}
