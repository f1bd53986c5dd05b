// Takes the one file of a kind out of a downloaded zip archive (MXNet's model zoo ships each
// .params file zipped), inflating it with zlib. The caller checks it before trusting it.

import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { ConvertError } from '../io/weights/keras.js';
import { entryDataOffset, readZipDirectory } from '../io/weights/zip.js';
import { openFileSource } from './weights-convert.js';

/** Extracts the single entry whose name ends in `suffix` from the archive `zip` to `dest`. */
export async function extractOne(zip: string, suffix: string, dest: string): Promise<void> {
  const source = await openFileSource(zip);
  let start: number;
  let entry;
  try {
    const entries = [...(await readZipDirectory(source)).values()].filter((e) => e.name.endsWith(suffix));
    if (entries.length !== 1)
      throw new ConvertError(`${zip}: the archive holds ${entries.length} ${suffix} files, expected one; it is not the model zoo's`);
    entry = entries[0]!;
    if (entry.method !== 0 && entry.method !== 8)
      throw new ConvertError(`${zip}: ${entry.name} is compressed with method ${entry.method}; only stored and deflated entries are read`);
    start = await entryDataOffset(source, entry);
  } finally {
    await source.close();
  }
  const input = createReadStream(zip, { start, end: start + entry.compressedSize - 1 });
  try {
    await (entry.method === 8 ? pipeline(input, createInflateRaw(), createWriteStream(dest)) : pipeline(input, createWriteStream(dest)));
  } catch (err) {
    rmSync(dest, { force: true });
    throw new ConvertError(`${zip}: cannot extract ${entry.name} (${(err as Error).message}); the archive is corrupt. Download it again.`);
  }
}
