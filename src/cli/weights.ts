// `wgpu-style weights ...`: fetch, convert, synthetic, info.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readHeader } from '../io/weights/format.js';
import { syntheticWeights } from '../io/weights/synthetic.js';
import { convertKerasH5 } from '../node/keras-h5.js';
import { ensureWeights } from '../node/weights-cache.js';
import { convertTfjsFolder, writeWeightsFile } from '../node/weights-files.js';
import { layerIndex } from '../vgg/index.js';
import { positiveInt, UsageError } from './errors.js';
import { byteProgress } from './progress.js';

export const WEIGHTS_HELP = `wgpu-style weights — get, convert and inspect VGG-19 weights

  wgpu-style weights fetch [--cache-dir DIR] [--url URL] [--md5 HEX]
      Download Keras's VGG-19 weights (vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5, 80 MB,
      md5-checked, resumable) into the cache and convert them to .bin once. The cache is
      $WGPU_STYLE_CACHE, else $XDG_CACHE_HOME/wgpu-style, else ~/.cache/wgpu-style.
  wgpu-style weights convert <model.json | weights.h5> [-o OUT.bin] [--up-to LAYER]
      Convert TensorFlow.js layers (model.json + shards) or Keras HDF5 weights to .bin
      (default OUT: vgg19.bin). --up-to keeps the convs up to LAYER (index or name such as
      block3_conv4 or conv3_4), for files that lack the deeper layers.
  wgpu-style weights synthetic [-o OUT.bin] [--seed N] [--up-to LAYER]
      Write deterministic random (He-init) weights: for tests and demos, not for art.
  wgpu-style weights info <file.bin>
      Show a .bin file's header: layers, input convention, provenance, checksum.`;

export async function weightsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'fetch':
      return fetchCommand(rest);
    case 'convert':
      return convertCommand(rest);
    case 'synthetic':
      return syntheticCommand(rest);
    case 'info':
      return infoCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(WEIGHTS_HELP);
      return sub ? 0 : 2;
    default:
      throw new UsageError(`unknown weights command "${sub}"; use fetch, convert, synthetic or info (see \`wgpu-style weights --help\`)`);
  }
}

async function fetchCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { 'cache-dir': { type: 'string' }, url: { type: 'string' }, md5: { type: 'string' } } });
  const { path } = await ensureWeights({
    cacheDir: values['cache-dir'],
    url: values.url,
    md5: values.md5,
    onProgress: byteProgress('download'),
    log: (m) => console.error(m),
  });
  console.log(`weights ready: ${path}`);
  return 0;
}

async function convertCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { output: { type: 'string', short: 'o', default: 'vgg19.bin' }, 'up-to': { type: 'string' } },
  });
  const input = positionals[0];
  if (!input || positionals.length > 1) throw new UsageError('weights convert takes one input: a TF.js model.json or a Keras .h5 file');
  const upTo = values['up-to'] === undefined ? undefined : layerIndex(values['up-to']);
  const weights = input.endsWith('.json') ? await convertTfjsFolder(input, upTo) : await convertKerasH5(input, { upTo });
  await writeWeightsFile(values.output!, weights);
  console.log(`wrote ${values.output} (${weights.tensors.size / 2} convs, input ${weights.input.channelOrder} ×${weights.input.pixelScale} − mean [${weights.input.mean.join(', ')}])`);
  return 0;
}

async function syntheticCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { output: { type: 'string', short: 'o', default: 'synthetic.bin' }, seed: { type: 'string', default: '1' }, 'up-to': { type: 'string', default: '28' } },
  });
  const weights = syntheticWeights(positiveInt('--seed', values.seed), layerIndex(values['up-to']!));
  await writeWeightsFile(values.output!, weights);
  console.log(`wrote ${values.output} (synthetic, seed ${values.seed}, ${weights.tensors.size / 2} convs)`);
  return 0;
}

async function infoCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new UsageError('weights info takes one .bin file');
  const file = positionals[0]!;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new UsageError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code})`);
  }
  const header = readHeader(bytes, file);
  const convs = header.tensors.filter((t) => t.name.endsWith('.weight')).map((t) => t.name.slice(0, -'.weight'.length));
  console.log(`${file}: ${header.architecture} format v${header.version}, builds modules 0–${header.upTo}`);
  console.log(`convs: ${convs.join(', ')}`);
  console.log(`input: ${header.input.channelOrder}, ×${header.input.pixelScale}, mean [${header.input.mean.join(', ')}], std [${header.input.std.join(', ')}]`);
  console.log(`provenance: ${Object.entries(header.provenance).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  console.log(`data: ${(header.dataBytes / 2 ** 20).toFixed(1)} MiB, sha256 ${header.sha256}`);
  return 0;
}
