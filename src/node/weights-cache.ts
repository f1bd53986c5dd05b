// Where the default weights come from: a --weights file, the cache, or a download of Keras's
// VGG-19 notop HDF5 (verified by md5), converted to .bin once.

import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import type { VggWeights } from '../vgg/index.js';
import { checkHex, checkHttpUrl, download, DownloadError } from './download.js';
import { convertKerasH5 } from './keras-h5.js';
import { cacheDir, readWeightsFile, writeWeightsFile } from './weights-files.js';

export const DEFAULT_WEIGHTS = {
  url: 'https://github.com/fchollet/deep-learning-models/releases/download/v0.1/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
  md5: '253f8cb515780f3b799900260a226db6',
  h5Name: 'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
  binName: 'vgg19-keras.bin',
};

export interface WeightsSource {
  /** Use this .bin file; no cache, no network. */
  weightsPath?: string;
  /** Never download. */
  offline?: boolean;
  cacheDir?: string;
  url?: string;
  md5?: string;
  onProgress?: (received: number, total: number | null) => void;
  log?: (message: string) => void;
}

export async function ensureWeights(source: WeightsSource = {}): Promise<{ weights: VggWeights; path: string }> {
  if (source.weightsPath) return { weights: await readWeightsFile(source.weightsPath), path: source.weightsPath };
  const dir = cacheDir(source.cacheDir);
  const bin = join(dir, DEFAULT_WEIGHTS.binName);
  if (existsSync(bin)) return { weights: await readWeightsFile(bin), path: bin };
  const h5 = join(dir, DEFAULT_WEIGHTS.h5Name);
  const url = source.url ?? DEFAULT_WEIGHTS.url;
  if (!existsSync(h5)) {
    if (source.offline) {
      throw new UserError(
        `no weights in the cache (${bin}) and --offline forbids downloading them. ` +
          'Run `wgpu-style weights fetch` once with network access, or pass --weights FILE.bin ' +
          '(make one with `wgpu-style weights convert vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`).',
      );
    }
    checkHttpUrl(url, '--url');
    if (source.md5 !== undefined) checkHex(source.md5, 32, '--md5');
  }
  checkCacheWritable(dir);
  if (!existsSync(h5)) {
    source.log?.(`downloading VGG-19 weights (80 MB) from ${url} into ${dir}`);
    try {
      await download({ url, dest: h5, md5: source.md5 ?? DEFAULT_WEIGHTS.md5, onProgress: source.onProgress });
    } catch (err) {
      if (!(err instanceof DownloadError)) throw err;
      throw new DownloadError(
        `${err.message}. Without network, pass weights you have with --weights FILE.bin: convert the Keras file ` +
          `(${DEFAULT_WEIGHTS.h5Name}, md5 ${DEFAULT_WEIGHTS.md5}) or a TF.js copy with \`wgpu-style weights convert\`.`,
      );
    }
  }
  source.log?.(`converting ${h5} to ${bin}`);
  const weights = await convertKerasH5(h5);
  await writeWeightsFile(bin, weights);
  return { weights, path: bin };
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
