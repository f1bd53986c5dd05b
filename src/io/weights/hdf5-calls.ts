// An HDF5 call as both edges name it in messages, and give up on it: Node's worker thread
// (src/node/keras-h5.ts) and the page's conversion worker (src/web/h5-access.ts, watched by
// src/web/convert-messages.ts). Small on purpose: the page's main script imports it.

import { clip } from '../../util/quote.js';
import { ConvertError } from './convert-error.js';
import type { H5Access } from './keras-h5.js';

/** The longest one HDF5 call may take: the largest VGG-19 kernel (9.4 MB) reads in well under a second. */
export const HDF5_CALL_LIMIT_MS = 5000;

/** The calls an edge makes to its HDF5 library: H5Access's, and opening and closing the file. */
export type H5Op = 'open' | 'close' | keyof H5Access;

/** A call as messages name it: "HDF5 did not <what> within 5 s". */
export function h5CallWhat(op: H5Op, path: string, name?: string): string {
  switch (op) {
    case 'open':
      return 'open it';
    case 'close':
      return 'close it';
    case 'get':
      return `read ${path}`;
    case 'attr':
      return name === 'layer_names' ? 'read the layer names' : `read ${path || 'the root'}'s ${name}`;
    case 'keys':
      return `list the members of ${path || 'the root'}`;
    case 'read':
      return `read the data of ${path}`;
  }
}

/** An HDF5 call's failure, as both edges report it: `message` is the library's error, `what` the call (h5CallWhat). */
export function hdf5CallError(name: string, what: string, message: string): ConvertError {
  const verb = what === 'open it' ? 'not a readable HDF5 file' : `cannot ${what}`;
  return new ConvertError(`${name}: ${verb} (${hdf5Problem(message)}); the file is corrupt. Download or export it again.`);
}

/** An HDF5 call that did not end within `limitMs` (HDF5 loops on some damaged files). */
export function hdf5TimeoutError(name: string, what: string, limitMs: number): ConvertError {
  return new ConvertError(
    `${name}: HDF5 did not ${what} within ${limitMs / 1000} s (it loops on some damaged files); the file is corrupt. Download or export it again.`,
  );
}

/** One line from an h5wasm error: HDF5's innermost reason ("truncated file: ..."), not its whole stack. */
function hdf5Problem(message: string): string {
  const reasons = [...message.matchAll(/#\d+: .* in [\w.]+\(\): (.+)/g)].map((m) => m[1]!.trim());
  const text = reasons.at(-1) ?? message.split('\n').find((line) => line.trim()) ?? 'unknown error';
  return clip(text, 160);
}
