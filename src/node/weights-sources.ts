// How a download of one of the known VGG-19 files (src/io/weights/sources.ts: URLs, checksums,
// names) becomes the file that is converted, in the CLI's cache. MXNet's model zoo zips its
// .params file; its sha1 is the .params file's.

import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isZip } from '../io/weights/zip.js';
import type { Checksums, FetchSource } from '../io/weights/sources.js';
import { download, DownloadError, verifyFile } from './download.js';
import { openFileSource } from './weights-convert.js';
import { extractOne } from './zip-extract.js';
import { MAX_EXTRACTED_BYTES } from '../io/weights/zip-inflate.js';

export { MAX_EXTRACTED_BYTES };

export interface FetchOptions {
  url: string;
  checksums: Checksums;
  onProgress?: (received: number, total: number | null) => void;
  log?: (message: string) => void;
}

/** The source's weights file in the cache `dir`: already there, or downloaded (resumably), taken out of its zip and checked. */
export async function obtainWeightsFile(dir: string, source: FetchSource, options: FetchOptions): Promise<string> {
  const weights = join(dir, source.weights);
  if (existsSync(weights)) return weights;
  const downloaded = join(dir, source.download);
  const zipped = source.download !== source.weights;
  if (!existsSync(downloaded)) {
    options.log?.(`downloading ${source.label} from ${options.url} into ${dir}`);
    try {
      await download({ url: options.url, dest: downloaded, ...(zipped ? {} : options.checksums), onProgress: options.onProgress });
    } catch (err) {
      if (!(err instanceof DownloadError)) throw err;
      throw new DownloadError(
        `${err.message}. Without network, pass weights you have with --weights FILE (a .pth, .params, .h5 or .bin file); \`wgpu-style weights convert\` converts them`,
      );
    }
  }
  if (!zipped) return weights;
  const part = `${weights}.part`;
  try {
    if (await isZipFile(downloaded)) await extractOne(downloaded, '.params', part, MAX_EXTRACTED_BYTES);
    else renameSync(downloaded, part); // a server that sends the .params file itself
    await verifyFile(part, options.checksums, `${source.weights} from ${options.url}`);
  } finally {
    rmSync(downloaded, { force: true }); // a bad archive is fetched again next time
  }
  renameSync(part, weights);
  return weights;
}

async function isZipFile(path: string): Promise<boolean> {
  const source = await openFileSource(path);
  try {
    return source.size >= 4 && isZip(await source.read(0, 4));
  } finally {
    await source.close();
  }
}
