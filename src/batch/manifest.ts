// A batch's manifest: one JSON line per image handled (done, failed, stopped), in the output folder.
// An image is skipped on a rerun when its last line says done with the same input and settings
// digests and its output is still there; a changed input or setting makes it run again. Lines are
// appended whole in one write (O_APPEND), so workers sharing the folder never interleave them.

import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const MANIFEST_NAME = 'manifest.jsonl';

export type ImageStatus = 'done' | 'failed' | 'stopped';

export interface ManifestRecord {
  input: string;
  output: string;
  status: ImageStatus;
  inputDigest: string;
  settingsDigest: string;
  /** Seconds the image took (done), or the reason (failed, stopped). */
  seconds?: number;
  message?: string;
  /** Which process wrote it (host:pid), and the queue's job id when it came through one. */
  by: string;
  job?: string;
  at: string;
}

export function manifestPath(outDir: string): string {
  return join(resolve(outDir), MANIFEST_NAME);
}

/** The last record of each output in the manifest (none when it does not exist yet); a torn last line is ignored. */
export function readManifest(path: string): Map<string, ManifestRecord> {
  const last = new Map<string, ManifestRecord>();
  if (!existsSync(path)) return last;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const record = JSON.parse(line) as ManifestRecord;
      if (typeof record.output === 'string') last.set(record.output, record);
    } catch {
      // a line cut short by a crash: the image it was about runs again
    }
  }
  return last;
}

export function appendManifest(path: string, record: ManifestRecord): void {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, JSON.stringify(record) + '\n');
}

/** True when `record` says this output was made from this input with these settings, and it is still there. */
export function isDone(record: ManifestRecord | undefined, inputDigest: string, settingsDigest: string): boolean {
  return (
    record !== undefined &&
    record.status === 'done' &&
    record.inputDigest === inputDigest &&
    record.settingsDigest === settingsDigest &&
    existsSync(record.output)
  );
}

/** SHA-256 of a file's bytes (hex), or null when it cannot be read. */
export function fileDigest(path: string): string | null {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return null;
  }
}

export function textDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
