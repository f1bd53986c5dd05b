// The pretrained VGG-19 files wgpu-style knows how to fetch: their official URLs and checksums (as
// their own loaders check them), and their names once downloaded and converted. Browser-safe: the
// CLI (`weights fetch --from`, src/node/weights-sources.ts) and the page's download button read it.
// MXNet's model zoo zips its .params file; its sha1 is the .params file's.

/** Expected checksums of a file, hex; each one given is checked. */
export interface Checksums {
  md5?: string;
  sha1?: string;
  sha256?: string;
  /** The first digits of the sha256 (how torch.hub checks the hash in a file's name). */
  sha256Prefix?: string;
}

export type SourceName = 'keras' | 'torchvision' | 'mxnet';
export const SOURCE_NAMES: readonly SourceName[] = ['keras', 'torchvision', 'mxnet'];
/** What `weights fetch` and the page's download button fetch unless told otherwise. */
export const DEFAULT_SOURCE: SourceName = 'keras';

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
