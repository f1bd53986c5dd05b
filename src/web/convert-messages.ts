// What the page and its conversion worker (convert-worker.ts) say to each other.

import { HDF5_CALL_LIMIT_MS, hdf5TimeoutError } from '../io/weights/hdf5-calls.js';
import type { Checksums } from '../io/weights/sources.js';

export interface ConvertRequest {
  files: Array<{ name: string; bytes: Uint8Array }>;
  /** A download's checksums, checked before anything is converted; `what` names it in the refusal. */
  check?: { checksums: Checksums; what: string };
}

/** `bin` null: the file was already a .bin (decoded and checked by the page). */
export type ConvertReply = { ok: true; bin: Uint8Array | null; format: string } | { ok: false; message: string };

/** Sent before each HDF5 call (what it does) and after it (null): the page ends a call that loops. */
export interface Hdf5Note {
  hdf5: string | null;
}

/**
 * Converts `files` in a worker (`convert-worker.js`, built beside main.js); the worker ends with
 * the call, or when one HDF5 call takes longer than `hdf5LimitMs` (HDF5 loops on some damaged files).
 */
export function convertInWorker(
  files: ConvertRequest['files'],
  check?: ConvertRequest['check'],
  hdf5LimitMs = HDF5_CALL_LIMIT_MS,
): Promise<ConvertReply> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('convert-worker.js', location.href), { type: 'module' });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const end = (reply: ConvertReply) => {
      clearTimeout(timer);
      worker.terminate();
      resolve(reply);
    };
    worker.onmessage = (e: MessageEvent<ConvertReply | Hdf5Note>) => {
      if (!('hdf5' in e.data)) return end(e.data);
      clearTimeout(timer);
      const what = e.data.hdf5;
      if (what !== null)
        timer = setTimeout(() => end({ ok: false, message: hdf5TimeoutError(files[0]!.name, what, hdf5LimitMs).message }), hdf5LimitMs);
    };
    worker.onerror = (e) => end({ ok: false, message: `the conversion worker failed: ${e.message}` });
    worker.postMessage(
      { files, check } satisfies ConvertRequest,
      files.map((f) => f.bytes.buffer as ArrayBuffer),
    );
  });
}
