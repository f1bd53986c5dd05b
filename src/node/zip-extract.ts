// Takes the one file of a kind out of a downloaded zip archive (MXNet's model zoo ships each
// .params file zipped), inflating it with zlib. The caller checks it before trusting it. A zip
// bomb (a few MB that inflate to many GB) is stopped at the size the archive's directory states,
// and an entry that states more than the caller's limit is refused before a byte is inflated.

import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { show } from '../util/quote.js';
import { ConvertError } from '../io/weights/convert-error.js';
import { entryDataOffset, readZipDirectory, type ZipEntry } from '../io/weights/zip.js';
import { openFileSource } from './weights-convert.js';

const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

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
    if (cap.exceeded)
      throw new ConvertError(
        `${zip}: ${show(entry.name, 100)} inflates past the ${entry.size} bytes the archive's directory states (a zip bomb, or a corrupt archive); extraction stopped there and nothing was kept. Download it again, or from a server you trust.`,
      );
    throw new ConvertError(
      `${zip}: cannot extract ${show(entry.name, 100)} (${(err as Error).message}); the archive is corrupt. Download it again.`,
    );
  }
}

async function findEntry(zip: string, suffix: string, maxBytes: number): Promise<{ entry: ZipEntry; start: number }> {
  const source = await openFileSource(zip);
  try {
    const entries = [...(await readZipDirectory(source)).values()].filter((e) => e.name.endsWith(suffix));
    if (entries.length !== 1)
      throw new ConvertError(`${zip}: the archive holds ${entries.length} ${suffix} files, expected one; it is not the model zoo's`);
    const entry = entries[0]!;
    if (entry.method !== 0 && entry.method !== 8)
      throw new ConvertError(
        `${zip}: ${show(entry.name, 100)} is compressed with method ${entry.method}; only stored and deflated entries are read`,
      );
    if (entry.size > maxBytes)
      throw new ConvertError(
        `${zip}: ${show(entry.name, 100)} states ${MiB(entry.size)} inflated, more than the ${MiB(maxBytes)} any VGG-19 weights file needs; refusing to extract it. Download it from a server you trust.`,
      );
    if (entry.method === 0 && entry.compressedSize !== entry.size)
      throw new ConvertError(
        `${zip}: ${show(entry.name, 100)} is stored with two different sizes; the archive is corrupt. Download it again.`,
      );
    return { entry, start: await entryDataOffset(source, entry) };
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
