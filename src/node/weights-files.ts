// Weights on disk: reading and writing .bin files (atomically), converting TF.js folders and
// Keras HDF5 files, and where the cache lives.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { decodeWeights, encodeWeights } from '../io/weights/format.js';
import { ConvertError } from '../io/weights/keras.js';
import { convertTfjs } from '../io/weights/tfjs.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from './safe-write.js';
import type { VggWeights } from '../vgg/index.js';

export async function readWeightsFile(path: string): Promise<VggWeights> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UserError(
      `${path}: cannot read weights (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). ` +
        'Give an existing weights file (.bin, or a .pth, .params or .h5 to convert), or run `wgpu-style weights fetch` to download the default weights.',
    );
  }
  return decodeWeights(bytes, path);
}

export async function writeWeightsFile(path: string, weights: VggWeights): Promise<void> {
  writeFileAtomic(path, await encodeWeights(weights));
}

export { writeFileAtomic };

export async function convertTfjsFolder(modelJsonPath: string, upTo?: number): Promise<VggWeights> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(modelJsonPath, 'utf8'));
  } catch (err) {
    throw new ConvertError(`${modelJsonPath}: cannot read a TF.js model.json (${(err as Error).message})`);
  }
  const folder = dirname(modelJsonPath);
  const readShard = async (path: string) => {
    try {
      return new Uint8Array(readFileSync(join(folder, path)));
    } catch {
      return null;
    }
  };
  return convertTfjs(json, readShard, { upTo, source: modelJsonPath });
}

/** $WGPU_STYLE_CACHE, else $XDG_CACHE_HOME/wgpu-style, else ~/.cache/wgpu-style. */
export function cacheDir(override?: string): string {
  if (override) return resolve(override);
  if (process.env.WGPU_STYLE_CACHE) return resolve(process.env.WGPU_STYLE_CACHE);
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'wgpu-style');
}
