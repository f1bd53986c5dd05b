// `wgpu-style weights ...`: fetch, convert, synthetic, info. Each subcommand's help and options
// are declared once, below; `weights --help` is their concatenation.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { encodeWeights, readHeader, readVerifiedHeader } from '../io/weights/format.js';
import { ConvertError } from '../io/weights/convert-error.js';
import { syntheticWeights } from '../io/weights/synthetic.js';
import { checkChecksums, checkHttpUrl } from '../node/download.js';
import { PreparedWrite } from '../node/safe-write.js';
import { ensureWeights } from '../node/weights-cache.js';
import { convertWeightsFile, sniffFormat } from '../node/weights-convert.js';
import { readWeightsBytes } from '../node/weights-files.js';
import { DEFAULT_SOURCE, FETCH_SOURCES, SOURCE_NAMES, type SourceName } from '../io/weights/sources.js';
import { CAFFE_INPUT, layerIndex, TORCHVISION_INPUT, type InputConvention, type VggWeights } from '../vgg/index.js';
import { positiveInt, UsageError } from './errors.js';
import { parseProblem } from './parse.js';
import { byteProgress } from './progress.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Sub = 'fetch' | 'convert' | 'synthetic' | 'info';

const SUBCOMMANDS: Record<Sub, { usage: string; about: string; options: Options; positionals: boolean }> = {
  fetch: {
    usage: 'wgpu-style weights fetch [--from keras|torchvision|mxnet] [--cache-dir DIR] [--url URL] [--md5|--sha1|--sha256 HEX]',
    about: `Download a pretrained VGG-19 into the cache, check it, and convert it to .bin once:
      keras        ${FETCH_SOURCES.keras.download} (80 MB, md5; the default)
      torchvision  ${FETCH_SOURCES.torchvision.download} (548 MB, sha256 beginning dcbb9e9d)
      mxnet        ${FETCH_SOURCES.mxnet.download}, the Gluon model zoo's (sha1 of the .params inside)
    Downloads resume after a dropped connection, also in a later run. Of torchvision's and MXNet's
    files only the converted features stay in the cache. The cache is $WGPU_STYLE_CACHE, else
    $XDG_CACHE_HOME/wgpu-style (when absolute), else ~/.cache/wgpu-style.
    --from NAME      which file (default ${DEFAULT_SOURCE})
    --cache-dir DIR  use this cache folder instead
    --url URL        download from this http(s) URL instead
    --md5, --sha1, --sha256 HEX   the file's checksum when --url serves another file`,
    options: {
      from: { type: 'string', default: DEFAULT_SOURCE },
      'cache-dir': { type: 'string' },
      url: { type: 'string' },
      md5: { type: 'string' },
      sha1: { type: 'string' },
      sha256: { type: 'string' },
    },
    positionals: false,
  },
  convert: {
    usage: 'wgpu-style weights convert <weights.pth | .params | .h5 | model.json> [-o OUT.bin] [--up-to LAYER]',
    about: `Convert VGG-19 weights to .bin (default OUT: vgg19.bin): a PyTorch state dict (.pth, zip
    or legacy format; a classifier is skipped), an MXNet/Gluon .params file, Keras HDF5, or
    TensorFlow.js layers (model.json + shards). The format is told from the file's first bytes.
    Only VGG-19 is read: VGG-16, VGG-19-BN or a ResNet is refused by name. --up-to keeps the
    convs up to LAYER (index or name such as block3_conv4 or conv3_4), for files that lack the
    deeper layers.`,
    options: { output: { type: 'string', short: 'o', default: 'vgg19.bin' }, 'up-to': { type: 'string' } },
    positionals: true,
  },
  synthetic: {
    usage: 'wgpu-style weights synthetic [-o OUT.bin] [--seed N] [--up-to LAYER]',
    about: `Write deterministic random (He-init) weights: for tests and demos, not for art.
    (default OUT: synthetic.bin, seed 1, all layers)`,
    options: {
      output: { type: 'string', short: 'o', default: 'synthetic.bin' },
      seed: { type: 'string', default: '1' },
      'up-to': { type: 'string', default: '28' },
    },
    positionals: false,
  },
  info: {
    usage: 'wgpu-style weights info <file.bin>',
    about: `Show a .bin file's header (layers, input convention, provenance, checksum), after checking
    that the header and the file's layout are sound, then check the data against the header's
    sha256 (a mismatch: the file is corrupt, exit 2).`,
    options: {},
    positionals: true,
  },
};

const subHelp = (sub: Sub) => `  ${SUBCOMMANDS[sub].usage}\n      ${SUBCOMMANDS[sub].about.replaceAll('\n    ', '\n      ')}`;

export const WEIGHTS_HELP = `wgpu-style weights — get, convert and inspect VGG-19 weights

${(Object.keys(SUBCOMMANDS) as Sub[]).map(subHelp).join('\n')}

  Each takes -h, --help for its part of this help.`;

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

/** Parses a subcommand's arguments; null after printing its help (-h, --help). */
function parse(sub: Sub, args: string[]): { values: Record<string, string | boolean | undefined>; positionals: string[] } | null {
  const { options, positionals } = SUBCOMMANDS[sub];
  const wantsHelp = () => args.slice(0, args.includes('--') ? args.indexOf('--') : undefined).some((a) => a === '--help' || a === '-h');
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: positionals,
      strict: true,
    });
  } catch (err) {
    if (wantsHelp()) parsed = { values: { help: true }, positionals: [] };
    else throw new UsageError(`weights ${sub}: ${parseProblem(err, options)}; see \`wgpu-style weights ${sub} --help\``);
  }
  if (parsed.values.help) {
    console.log(`Usage: ${SUBCOMMANDS[sub].usage}\n\n    ${SUBCOMMANDS[sub].about}\n    -h, --help       show this help`);
    return null;
  }
  return parsed as { values: Record<string, string | boolean | undefined>; positionals: string[] };
}

const text = (value: string | boolean | undefined) => (typeof value === 'string' ? value : undefined);

async function fetchCommand(args: string[]): Promise<number> {
  const parsed = parse('fetch', args);
  if (!parsed) return 0;
  const url = text(parsed.values.url);
  const from = text(parsed.values.from)!;
  if (!(SOURCE_NAMES as readonly string[]).includes(from))
    throw new UsageError(`weights fetch: --from must be ${SOURCE_NAMES.join(', ')}, got ${JSON.stringify(from)}`);
  const checksums = { md5: text(parsed.values.md5), sha1: text(parsed.values.sha1), sha256: text(parsed.values.sha256) };
  if (url !== undefined) checkHttpUrl(url, '--url');
  checkChecksums(checksums, (name) => `--${name}`);
  const { path } = await ensureWeights({
    from: from as SourceName,
    cacheDir: text(parsed.values['cache-dir']),
    url,
    ...checksums,
    onProgress: byteProgress('download'),
    log: (m) => console.error(m),
  });
  console.log(`weights ready: ${path}`);
  return 0;
}

async function convertCommand(args: string[]): Promise<number> {
  const parsed = parse('convert', args);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const input = positionals[0];
  if (!input || positionals.length > 1)
    throw new UsageError('weights convert takes one input: a .pth, .params or .h5 file, or a TF.js model.json');
  const upTo = values['up-to'] === undefined ? undefined : layerIndex(text(values['up-to'])!);
  const tfjs = sniffFormat(input) === 'tfjs';
  const output = text(values.output)!;
  const out = PreparedWrite.prepare(output, {
    what: '-o',
    inputs: tfjs ? tfjsFiles(input) : [input],
    createFolder: true,
    example: 'vgg19.bin',
  });
  const weights = await writeOrDiscard(out, () => convertWeightsFile(input, upTo)).catch((err: unknown) => {
    // Only here is --up-to an option: a file that lacks a layer can still give the layers before it.
    if (err instanceof ConvertError && err.upTo !== undefined)
      throw new UsageError(`${err.message}; use --up-to ${err.upTo} to convert the layers before it`);
    throw err;
  });
  console.log(`wrote ${output} (${weights.tensors.size / 2} convs, input ${describeInput(weights.input)})`);
  return 0;
}

async function syntheticCommand(args: string[]): Promise<number> {
  const parsed = parse('synthetic', args);
  if (!parsed) return 0;
  const { values } = parsed;
  const seed = positiveInt('--seed', text(values.seed));
  const upTo = layerIndex(text(values['up-to'])!);
  const output = text(values.output)!;
  const out = PreparedWrite.prepare(output, { what: '-o', createFolder: true, example: 'synthetic.bin' });
  const weights = await writeOrDiscard(out, async () => syntheticWeights(seed, upTo));
  console.log(`wrote ${output} (synthetic, seed ${seed}, ${weights.tensors.size / 2} convs)`);
  return 0;
}

/** Makes the weights and commits them to `out`, or removes its temporary file when anything fails. */
async function writeOrDiscard(out: PreparedWrite, make: () => Promise<VggWeights>): Promise<VggWeights> {
  try {
    const weights = await make();
    out.commit(await encodeWeights(weights));
    return weights;
  } catch (err) {
    out.discard();
    throw err;
  }
}

/** model.json and the shard files its manifest names (as far as it can be read): none may be the output. */
function tfjsFiles(modelJson: string): string[] {
  try {
    const manifest = (JSON.parse(readFileSync(modelJson, 'utf8')) as { weightsManifest?: Array<{ paths?: unknown }> }).weightsManifest;
    const paths = (Array.isArray(manifest) ? manifest : []).flatMap((g) => (Array.isArray(g?.paths) ? g.paths : []));
    return [modelJson, ...paths.filter((p): p is string => typeof p === 'string').map((p) => join(dirname(modelJson), p))];
  } catch {
    return [modelJson]; // the converter reports what is wrong with it
  }
}

async function infoCommand(args: string[]): Promise<number> {
  const parsed = parse('info', args);
  if (!parsed) return 0;
  if (parsed.positionals.length !== 1) throw new UsageError('weights info takes one .bin file (see `wgpu-style weights info --help`)');
  const file = parsed.positionals[0]!;
  const bytes = readWeightsBytes(file); // a FIFO or folder is refused at once
  const header = readHeader(bytes, file);
  const convs = header.tensors.filter((t) => t.name.endsWith('.weight')).map((t) => t.name.slice(0, -'.weight'.length));
  console.log(`${file}: ${header.architecture} format v${header.version}, builds modules 0–${header.upTo}`);
  console.log(`convs: ${convs.join(', ')}`);
  console.log(`input: ${describeInput(header.input)}`);
  console.log(
    `provenance: ${Object.entries(header.provenance)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
  await readVerifiedHeader(bytes, file); // a mismatch: one line on stderr, exit 2, after the header above
  console.log(`data: ${(header.dataBytes / 2 ** 20).toFixed(1)} MiB, sha256 ${header.sha256} (verified: the data matches it)`);
  return 0;
}

/** "RGB ×1 − mean [...] ÷ std [...] (torchvision's convention)". */
function describeInput(input: InputConvention): string {
  const convention = sameInput(input, TORCHVISION_INPUT)
    ? " (torchvision's convention)"
    : sameInput(input, CAFFE_INPUT)
      ? " (Caffe's convention, Keras's weights)"
      : '';
  return `${input.channelOrder}, ×${input.pixelScale}, mean [${input.mean.join(', ')}], std [${input.std.join(', ')}]${convention}`;
}

const sameInput = (a: InputConvention, b: InputConvention) => JSON.stringify(a) === JSON.stringify(b);
