// Where the weights come from: a --weights file (a .bin as it is; a .pth, .params, .h5 or
// model.json converted into the cache once, keyed by the file's sha256), the cache, or a download
// of one of the known VGG-19 files (weights-sources.ts), checked and converted to .bin once.

import { createHash } from 'node:crypto';
import { accessSync, constants, createReadStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { WeightsFormatError } from '../io/weights/format.js';
import { UserError } from '../util/errors.js';
import type { VggWeights } from '../vgg/index.js';
import { checkChecksums, checkHttpUrl, type Checksums } from './download.js';
import { LOCK_STALE_MS, withFileLock } from './file-lock.js';
import { convertWeightsFile, FORMAT_NAMES, sniffFormat } from './weights-convert.js';
import { cacheDir, readWeightsFile, writeWeightsFile } from './weights-files.js';
import { DEFAULT_SOURCE, FETCH_SOURCES, type SourceName } from '../io/weights/sources.js';
import { obtainWeightsFile } from './weights-sources.js';

/** Keras's file, the default (kept for the library's users; FETCH_SOURCES has every source). */
export const DEFAULT_WEIGHTS = {
  url: FETCH_SOURCES.keras.url,
  md5: FETCH_SOURCES.keras.checksums.md5!,
  h5Name: FETCH_SOURCES.keras.weights,
  binName: FETCH_SOURCES.keras.bin,
};

export interface WeightsSource extends Checksums {
  /** Use this file: a .bin as it is (no cache, no network); any other weights file converted into the cache once. */
  weightsPath?: string;
  /** Which known file to download (default keras). */
  from?: SourceName;
  /** Never download. */
  offline?: boolean;
  cacheDir?: string;
  /** Download from here instead of the official URL (with checksums of that file). */
  url?: string;
  onProgress?: (received: number, total: number | null) => void;
  log?: (message: string) => void;
}

export async function ensureWeights(source: WeightsSource = {}): Promise<{ weights: VggWeights; path: string }> {
  if (source.weightsPath) return weightsFromFile(source.weightsPath, source);
  const from = FETCH_SOURCES[source.from ?? DEFAULT_SOURCE];
  const dir = cacheDir(source.cacheDir);
  const bin = join(dir, from.bin);
  const cached = await readCached(bin, source.log);
  if (cached) return cached;
  const url = source.url ?? from.url;
  const given: Checksums = { md5: source.md5, sha1: source.sha1, sha256: source.sha256 };
  const checksums = Object.values(given).some((v) => v !== undefined) ? given : from.checksums;
  if (!existsSync(join(dir, from.weights))) {
    if (source.offline) {
      throw new UserError(
        `no weights in the cache (${bin}) and --offline forbids downloading them. ` +
          `Run \`wgpu-style weights fetch${source.from ? ` --from ${source.from}` : ''}\` once with network access, or pass weights you have with --weights FILE ` +
          '(a .bin, or a .pth, .params or .h5 file, converted on first use).',
      );
    }
    checkHttpUrl(url, '--url');
    checkChecksums(checksums, (name) => `--${name}`);
  }
  checkCacheWritable(dir);
  // One process at a time fetches and converts into the cache; another waits and reads the result.
  const lock = `${bin}.lock`;
  const onWait = (pid: number) =>
    source.log?.(
      `waiting for another wgpu-style (pid ${pid}) fetching the same weights into ${dir}; if none is running, ` +
        `delete ${lock} (it is taken over once untouched for ${LOCK_STALE_MS / 1000} s)`,
    );
  return withFileLock(
    lock,
    async () => {
      const done = await readCached(bin, source.log); // by the process this one waited for
      if (done) return done;
      const original = await obtainWeightsFile(dir, from, { url, checksums, onProgress: source.onProgress, log: source.log });
      source.log?.(`converting ${original} to ${bin}`);
      const weights = await convertWeightsFile(original);
      await writeWeightsFile(bin, weights);
      if (!from.keepDownload) rmSync(original, { force: true });
      return { weights, path: bin };
    },
    { onWait },
  );
}

/** A .bin as it is; another format converted once into <cache>/converted/<sha256>.bin (or in memory when the cache is read-only). */
async function weightsFromFile(path: string, source: WeightsSource): Promise<{ weights: VggWeights; path: string }> {
  const format = existsSync(path) ? sniffFormat(path) : 'bin'; // a missing file: readWeightsFile says so
  if (format === 'bin') return { weights: await readWeightsFile(path), path };
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  const dir = join(cacheDir(source.cacheDir), 'converted');
  const bin = join(dir, `${hash.digest('hex')}.bin`);
  const cached = await readCached(bin, source.log);
  if (cached) return cached;
  source.log?.(`converting ${path} (${FORMAT_NAMES[format]}) to ${bin}, once`);
  const weights = await convertWeightsFile(path);
  try {
    mkdirSync(dir, { recursive: true });
    await writeWeightsFile(bin, weights);
    return { weights, path: bin };
  } catch (err) {
    source.log?.(`cannot keep the converted weights in ${dir} (${(err as Error).message}); they are converted again next time`);
    return { weights, path };
  }
}

/**
 * The weights in the cache file `bin`, or null when there is none, or when it is damaged (cut
 * short, edited, a checksum mismatch): then it is removed, so that it is made again from its
 * source (a damaged converted/<sha>.bin made every later run fail until the user deleted it).
 */
async function readCached(bin: string, log: WeightsSource['log']): Promise<{ weights: VggWeights; path: string } | null> {
  if (!existsSync(bin)) return null;
  try {
    return { weights: await readWeightsFile(bin), path: bin };
  } catch (err) {
    if (!(err instanceof WeightsFormatError)) throw err; // unreadable (EACCES, a folder): the user's to fix
    log?.(`the cached weights are damaged (${err.message}); removing ${bin} and making it again`);
    try {
      rmSync(bin, { force: true });
    } catch {
      // A read-only cache: the new file replaces it atomically, or is kept in memory only (weightsFromFile).
    }
    return null;
  }
}

/**
 * The cache folder must exist (it is created) and take new files, before anything is downloaded or
 * converted into it; access(2) also answers for root, and for read-only file systems.
 */
function checkCacheWritable(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UserError(
      `the weights cache ${dir} is not a writable folder (${code}); choose another with --cache-dir DIR or $WGPU_STYLE_CACHE, ` +
        'or pass weights you have with --weights FILE.bin',
    );
  }
}
