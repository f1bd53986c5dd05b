// Taking the one file of a kind out of a zip archive (MXNet's model zoo ships each .params file
// zipped), browser-safe: the entry is found and checked here (src/node/zip-extract.ts streams it to
// a file with zlib; the page inflates it in memory with fflate, `inflateEntry`). A zip bomb (a few
// MB that inflate to many GB) is stopped at the size the archive's directory states, and an entry
// that states more than the caller's limit is refused before a byte is inflated.

import { Inflate } from 'fflate';
import { show } from '../../util/quote.js';
import { readAt, type ByteSource } from './bytes.js';
import { ConvertError } from './convert-error.js';
import { checkCrc, entryDataOffset, readZipDirectory, type ZipEntry } from './zip.js';

/**
 * The most a weights file taken out of a zip may inflate to: VGG-19 with its classifier is 575 MB
 * in float32. A zip bomb's entry is stopped at its stated size, and refused when it states more.
 */
export const MAX_EXTRACTED_BYTES = 2 ** 30;

const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** The entries of the archive whose names end in `suffix`. */
export async function entriesEndingIn(source: ByteSource, suffix: string): Promise<ZipEntry[]> {
  return [...(await readZipDirectory(source)).values()].filter((e) => e.name.endsWith(suffix));
}

/** The single entry whose name ends in `suffix`, checked to be extractable within `maxBytes`, and where its data starts. */
export async function findSingleEntry(source: ByteSource, suffix: string, maxBytes: number): Promise<{ entry: ZipEntry; start: number }> {
  const zip = source.name;
  const entries = await entriesEndingIn(source, suffix);
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
}

/** The entry inflated past its stated size: a zip bomb or a corrupt archive. */
export function zipBombError(zip: string, entry: ZipEntry): ConvertError {
  return new ConvertError(
    `${zip}: ${show(entry.name, 100)} inflates past the ${entry.size} bytes the archive's directory states (a zip bomb, or a corrupt archive); extraction stopped there and nothing was kept. Download it again, or from a server you trust.`,
  );
}

export function extractError(zip: string, entry: ZipEntry, problem: string): ConvertError {
  return new ConvertError(`${zip}: cannot extract ${show(entry.name, 100)} (${problem}); the archive is corrupt. Download it again.`);
}

const CHUNK_BYTES = 1 << 20;

/** The entry's bytes in memory (stored or deflated), no more than its stated size, checked against its CRC-32. */
export async function inflateEntry(source: ByteSource, entry: ZipEntry, start: number): Promise<Uint8Array> {
  const out = new Uint8Array(entry.size);
  let written = 0;
  let exceeded = false;
  const take = (chunk: Uint8Array) => {
    if (written + chunk.byteLength > out.byteLength) {
      exceeded = true;
      throw new Error(`more than ${entry.size} bytes`);
    }
    out.set(chunk, written);
    written += chunk.byteLength;
  };
  try {
    const inflater = entry.method === 8 ? new Inflate((chunk) => take(chunk)) : null;
    for (let at = 0; at < entry.compressedSize || (at === 0 && inflater); at += CHUNK_BYTES) {
      const length = Math.min(CHUNK_BYTES, entry.compressedSize - at);
      const bytes = await readAt(source, start + at, length, entry.name);
      if (inflater) inflater.push(bytes, at + length >= entry.compressedSize);
      else take(bytes);
      if (length === 0) break;
    }
    if (written !== entry.size) throw new Error(`it inflates to ${written} bytes, the archive's directory says ${entry.size}`);
  } catch (err) {
    if (exceeded) throw zipBombError(source.name, entry);
    if (err instanceof ConvertError) throw err;
    throw extractError(source.name, entry, (err as Error).message);
  }
  checkCrc(out, entry, source.name);
  return out;
}
