// The pretrained VGG-19 files `weights fetch --from` knows: their official URLs and checksums (as
// their own loaders check them), where each lands in the cache, and how a download becomes the
// file that is converted. MXNet's model zoo zips its .params file; its sha1 is the .params file's.

import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isZip } from '../io/weights/zip.js';
import { download, DownloadError, verifyFile, type Checksums } from './download.js';
import { openFileSource } from './weights-convert.js';
import { extractOne } from './zip-extract.js';

/**
 * The most a weights file taken out of a zip may inflate to: VGG-19 with its classifier is 575 MB
 * in float32. A zip bomb's entry is stopped at its stated size, and refused when it states more.
 */
export const MAX_EXTRACTED_BYTES = 2 ** 30;

export type SourceName = 'keras' | 'torchvision' | 'mxnet';
export const SOURCE_NAMES: readonly SourceName[] = ['keras', 'torchvision', 'mxnet'];

export interface FetchSource {
  /** What it is, for messages and help. */
  label: string;
  url: string;
  /** The download's name in the cache. */
  download: string;
  /** The file that is converted: the download itself, or the file taken out of it. */
  weights: string;
  /** Checksums of `weights` (--md5, --sha1 or --sha256 replace them). */
  checksums: Checksums;
  /** The converted file in the cache. */
  bin: string;
  /** Keep the download once converted (Keras's 80 MB, as before); of the others only the .bin stays. */
  keepDownload: boolean;
}

export const FETCH_SOURCES: Record<SourceName, FetchSource> = {
  // keras-applications' vgg19.py: WEIGHTS_PATH_NO_TOP and its file_hash.
  keras: {
    label: "Keras's VGG-19 (80 MB)",
    url: 'https://github.com/fchollet/deep-learning-models/releases/download/v0.1/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
    download: 'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
    weights: 'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
    checksums: { md5: '253f8cb515780f3b799900260a226db6' },
    bin: 'vgg19-keras.bin',
    keepDownload: true,
  },
  // torchvision/models/vgg.py (VGG19_Weights.IMAGENET1K_V1). torch.hub checks that the file's
  // sha256 begins with the 8 digits in its name; torchvision publishes no longer hash.
  torchvision: {
    label: "torchvision's VGG-19 (548 MB)",
    url: 'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth',
    download: 'vgg19-dcbb9e9d.pth',
    weights: 'vgg19-dcbb9e9d.pth',
    checksums: { sha256Prefix: 'dcbb9e9d' },
    bin: 'vgg19-torchvision.bin',
    keepDownload: false,
  },
  // python/mxnet/gluon/model_zoo/model_store.py: _model_sha1['vgg19'] and _url_format
  // ('{repo_url}gluon/models/{name}-{sha1[:8]}.zip'); the sha1 is checked on the .params inside.
  mxnet: {
    label: "the Gluon model zoo's VGG-19",
    url: 'https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/gluon/models/vgg19-ad2f660d.zip',
    download: 'vgg19-ad2f660d.zip',
    weights: 'vgg19-ad2f660d.params',
    checksums: { sha1: 'ad2f660d101905472b83590b59708b71ea22b2e5' },
    bin: 'vgg19-mxnet.bin',
    keepDownload: false,
  },
};

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
