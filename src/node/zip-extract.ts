// Takes the one file of a kind out of a downloaded zip archive (MXNet's model zoo ships each
// .params file zipped) into a file, inflating it with zlib; the entry is found and checked, and
// the failures are worded, by src/io/weights/zip-inflate.ts (the page's in-memory twin). The
// caller checks the file before trusting it.

import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import type { ZipEntry } from '../io/weights/zip.js';
import { extractError, findSingleEntry, zipBombError } from '../io/weights/zip-inflate.js';
import { openFileSource } from './weights-convert.js';

/**
 * Extracts the single entry whose name ends in `suffix` from the archive `zip` to `dest`, writing
 * at most the entry's stated size, itself at most `maxBytes`; `dest` is removed on any failure.
 */
export async function extractOne(zip: string, suffix: string, dest: string, maxBytes: number): Promise<void> {
  const { entry, start } = await findEntry(zip, suffix, maxBytes);
  const cap = new SizeCap(entry.size);
  try {
    // (end is inclusive: an entry of 0 compressed bytes is an empty stream, not a RangeError)
    const input = entry.compressedSize === 0 ? Readable.from([]) : createReadStream(zip, { start, end: start + entry.compressedSize - 1 });
    await (entry.method === 8
      ? pipeline(input, createInflateRaw(), cap, createWriteStream(dest))
      : pipeline(input, cap, createWriteStream(dest)));
    if (cap.written !== entry.size) throw new Error(`it inflates to ${cap.written} bytes, the archive's directory says ${entry.size}`);
  } catch (err) {
    rmSync(dest, { force: true });
    throw cap.exceeded ? zipBombError(zip, entry) : extractError(zip, entry, (err as Error).message);
  }
}

async function findEntry(zip: string, suffix: string, maxBytes: number): Promise<{ entry: ZipEntry; start: number }> {
  const source = await openFileSource(zip);
  try {
    return await findSingleEntry(source, suffix, maxBytes);
  } finally {
    await source.close();
  }
}

/** Passes bytes on until `limit` is passed, then fails the pipeline (which stops the inflater). */
class SizeCap extends Transform {
  written = 0;
  exceeded = false;

  constructor(readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.written += chunk.byteLength;
    if (this.written > this.limit) {
      this.exceeded = true;
      done(new Error(`more than ${this.limit} bytes`));
    } else done(null, chunk);
  }
}
