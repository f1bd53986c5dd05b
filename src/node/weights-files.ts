// Weights on disk: reading and writing .bin files (atomically), converting TF.js folders and
// Keras HDF5 files, and where the cache lives.

import { closeSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { decodeWeights, encodeWeights } from '../io/weights/format.js';
import { ConvertError } from '../io/weights/convert-error.js';
import { convertTfjs } from '../io/weights/tfjs.js';
import { UserError } from '../util/errors.js';
import { NotRegularFileError, openRegularFile, readRegularFile } from './regular-file.js';
import { writeFileAtomic } from './safe-write.js';
import type { VggWeights } from '../vgg/index.js';

/** How to end a refusal of a weights path that is a folder, a FIFO or a device. */
export const WEIGHTS_FILE_FIX = 'give a weights file (a .bin, or a .pth, .params, .h5 or TF.js model.json to convert)';

/** The bytes of the weights file `path`: refused at once when it is not a regular file (a FIFO would wait forever). */
export function readWeightsBytes(path: string): Uint8Array {
  try {
    return readRegularFile(path, WEIGHTS_FILE_FIX);
  } catch (err) {
    if (err instanceof NotRegularFileError) throw err;
    throw new UserError(
      `${path}: cannot read weights (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). ` +
        'Give an existing weights file (.bin, or a .pth, .params or .h5 to convert), or run `wgpu-style weights fetch` to download the default weights.',
    );
  }
}

export async function readWeightsFile(path: string): Promise<VggWeights> {
  return decodeWeights(readWeightsBytes(path), path);
}

/**
 * A descriptor of the weights file `path` to convert: a ConvertError "cannot read (ENOENT)", or a
 * NotRegularFileError for a folder, FIFO or device (opened without waiting for a FIFO's writer).
 */
export function openWeightsFile(path: string): { fd: number; stat: Stats } {
  try {
    return openRegularFile(path, WEIGHTS_FILE_FIX);
  } catch (err) {
    if (err instanceof NotRegularFileError) throw err;
    throw new ConvertError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Throws as openWeightsFile does, and closes the file. */
export function checkWeightsFile(path: string): Stats {
  const { fd, stat } = openWeightsFile(path);
  closeSync(fd);
  return stat;
}

export async function writeWeightsFile(path: string, weights: VggWeights): Promise<void> {
  writeFileAtomic(path, await encodeWeights(weights));
}

export { writeFileAtomic };

export async function convertTfjsFolder(modelJsonPath: string, upTo?: number): Promise<VggWeights> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(readRegularFile(modelJsonPath, WEIGHTS_FILE_FIX)));
  } catch (err) {
    if (err instanceof NotRegularFileError) throw err;
    throw new ConvertError(`${modelJsonPath}: cannot read a TF.js model.json (${(err as Error).message})`);
  }
  const folder = dirname(modelJsonPath);
  const readShard = async (path: string) => {
    try {
      return readRegularFile(join(folder, path));
    } catch (err) {
      if (err instanceof NotRegularFileError) throw err; // a FIFO among the shards: refused, not waited on
      return null;
    }
  };
  return convertTfjs(json, readShard, { upTo, source: modelJsonPath });
}

/**
 * $WGPU_STYLE_CACHE, else $XDG_CACHE_HOME/wgpu-style, else ~/.cache/wgpu-style. A relative
 * $XDG_CACHE_HOME is ignored, as the XDG Base Directory spec says (it would name a different
 * folder in every working directory).
 */
export function cacheDir(override?: string): string {
  if (override) return resolve(override);
  if (process.env.WGPU_STYLE_CACHE) return resolve(process.env.WGPU_STYLE_CACHE);
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(base, 'wgpu-style');
}
