// `wgpu-style <content> <style> [<style> ...] [options]`: the style transfer from the terminal.

import { accessSync, constants, existsSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeImage } from '../io/image.js';
import { stylize } from '../node/stylize.js';
import type { StyleProgress, StyleResult } from '../style/job.js';
import { DEFAULT_SETTINGS as D, type StyleSettings } from '../style/settings.js';
import { UsageError } from './errors.js';
import { byteProgress } from './progress.js';
import { ProgressPrinter } from './report.js';

export const STYLIZE_HELP = `Usage: wgpu-style <content> <style> [<style> ...] [options]

Paints the content image in the style of the style image(s) (Gatys et al.), optimising the image
against VGG-19 features on the GPU. The result is written to --output.

Output
  -o, --output <file>        Result image, .png or .jpg (default out.png); written atomically,
                             never over an input image
  --quality <1-100>          JPEG quality (default 92)
  --save-every <n>           Also write the image every n steps, next to the output
                             (out-s1-0100.png: scale 1, step 100); 0 = never (default 0)

Size and schedule
  --size <px>                Longest side of the result (default ${D.size}); an image already
                             that size is not resampled
  --scales <n>               Pyramid levels, each twice the size of the one before, every level
                             starting from the previous result; 1 = one pass (default ${D.scales})
  --steps <n>                Adam steps per scale (default ${D.steps})
  --lr <x>                   Learning rate (default ${D.lr}); the image lives in ImageNet-normalised
                             RGB whatever the weights, so this means the same for every weights file
  --lr-decay-every <n>       Multiply the learning rate by 0.1 every n steps of a scale (default ${D.lrDecayEvery})
  --preset seed              The original script: 500 steps at 200×100 (decay every 200), then
                             300 at 560×320 (decay every 100); ignores --size/--scales/--steps

Loss
  --content-weight <x>       Weight of the content term (default ${D.contentWeight}; 0 removes it)
  --style-weight <x>         Weight of the style term (default ${D.styleWeight}; 0 removes it)
  --tv-weight <x>            Weight of the total-variation (smoothness) term (default ${D.tvWeight}; 0 removes it)
  --content-layers <list>    VGG-19 layers by index or name, comma-separated (default 25 = conv4_4)
  --style-layers <list>      (default 0,5,10,19,28 = conv1_1,conv2_1,conv3_1,conv4_1,conv5_1)
                             Names: conv1_1 … conv5_4, relu1_1 …, pool1 …, block1_conv1 …
  --style-layer-weights <l>  One weight per style layer (default 1 each)
  --style-blend <list>       One weight per style image (default equal)
  --style-scale <x>          Style images are resized to x times the working size (default ${D.styleScale})
  --pooling max|avg          VGG pooling (default ${D.pooling})

  Content and style terms are divided by the weights' input scale (squared and to the fourth):
  Caffe/Keras weights see inputs ~58× larger than torchvision's, so the seed's weights
  1/1e3/50 stay balanced for every weights file.

Start
  --init content|random|<image>   Starting image (default content)
  --seed <n>                 Seed for --init random (default ${D.seed})
  --original-colors          Keep the content's colours (transfer luminance only)

Weights
  --weights <file.bin>       Use these weights (see wgpu-style weights --help); no network
  --offline                  Never download; fail if the cache has no weights
                             (default: download Keras's VGG-19 once, 80 MB, into the cache)

Progress
  --print-every <n>          Report losses every n steps (default ${D.printEvery})
  --json                     One JSON object per report on stdout, then a summary object

GPU
  --backend <name>, --adapter <name>   As for wgpu-style info
  --no-autotune              Use the default conv3x3 variant instead of timing the variants for
                             this adapter and size first (the choices are cached in
                             <cache>/autotune.json; env WGPU_STYLE_AUTOTUNE=0 does the same)

Ctrl-C writes the current image, then exits. A loss that becomes NaN or infinite stops the run,
keeps the last good image and exits with status 3.

Examples
  wgpu-style photo.jpg starry_night.jpg -o out.png
  wgpu-style photo.jpg a.jpg b.jpg --style-blend 0.7,0.3 --size 768 --original-colors
  wgpu-style photo.jpg starry_night.jpg --preset seed --weights vgg19.bin`;

const OPTIONS = {
  output: { type: 'string', short: 'o', default: 'out.png' },
  quality: { type: 'string', default: '92' },
  'save-every': { type: 'string' },
  size: { type: 'string' },
  scales: { type: 'string' },
  steps: { type: 'string' },
  lr: { type: 'string' },
  'lr-decay-every': { type: 'string' },
  preset: { type: 'string' },
  'content-weight': { type: 'string' },
  'style-weight': { type: 'string' },
  'tv-weight': { type: 'string' },
  'content-layers': { type: 'string' },
  'style-layers': { type: 'string' },
  'style-layer-weights': { type: 'string' },
  'style-blend': { type: 'string' },
  'style-scale': { type: 'string' },
  pooling: { type: 'string' },
  init: { type: 'string' },
  seed: { type: 'string' },
  'original-colors': { type: 'boolean' },
  weights: { type: 'string' },
  offline: { type: 'boolean' },
  'print-every': { type: 'string' },
  json: { type: 'boolean' },
  backend: { type: 'string' },
  adapter: { type: 'string' },
  'no-autotune': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function stylizeCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true });
  if (v.help) {
    console.log(STYLIZE_HELP);
    return 0;
  }
  const settings = readSettings(v);
  const [content, ...styles] = positionals;
  if (!content || (styles.length === 0 && settings.styleWeight !== 0)) {
    throw new UsageError('give a content image and at least one style image: wgpu-style <content> <style> [options] (see --help)');
  }
  const inputs = [content, ...styles, ...(typeof v.init === 'string' && !['content', 'random'].includes(v.init) ? [v.init] : [])];
  for (const input of inputs) if (!existsSync(input)) throw new UsageError(`${input}: no such file`);
  const output = checkOutput(v.output!, inputs);
  const quality = number('--quality', v.quality!);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new UsageError(`--quality must be a whole number 1–100, got ${v.quality}`);

  const printer = new ProgressPrinter(Boolean(v.json));
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping: writing the current image (Ctrl-C again to quit at once)\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  let result: StyleResult;
  try {
    result = await stylize({
      ...settings,
      content,
      styles,
      init: v.init,
      weights: v.weights,
      offline: v.offline,
      gpu: { backend: v.backend, adapter: v.adapter },
      signal: abort.signal,
      onProgress: (p: StyleProgress) => printer.progress(p),
      onSnapshot: (image, at) => writeImage(snapshotPath(output, at.scale, at.step), image, quality),
      onDownload: byteProgress('downloading weights'),
      log: (m) => console.error(m),
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  writeImage(output, result.image, quality);
  printer.done(result, output);
  if (result.stopped === 'diverged') return 3;
  if (result.stopped === 'aborted') return 130;
  return 0;
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function readSettings(v: Values): Partial<StyleSettings> {
  const num = (name: string, text: string | undefined) => (text === undefined ? undefined : number(name, text));
  const list = (name: string, text: string | undefined) => text?.split(',').map((x) => number(name, x));
  const layers = (text: string | undefined) => text?.split(',').map((x) => x.trim());
  if (v.preset !== undefined && v.preset !== 'seed') throw new UsageError(`--preset must be "seed", got "${v.preset}"`);
  if (v.pooling !== undefined && v.pooling !== 'max' && v.pooling !== 'avg') throw new UsageError(`--pooling must be max or avg, got "${v.pooling}"`);
  return {
    size: num('--size', v.size),
    scales: num('--scales', v.scales),
    steps: num('--steps', v.steps),
    lr: num('--lr', v.lr),
    lrDecayEvery: num('--lr-decay-every', v['lr-decay-every']),
    preset: v.preset as 'seed' | undefined,
    contentWeight: num('--content-weight', v['content-weight']),
    styleWeight: num('--style-weight', v['style-weight']),
    tvWeight: num('--tv-weight', v['tv-weight']),
    contentLayers: layers(v['content-layers']),
    styleLayers: layers(v['style-layers']),
    styleLayerWeights: list('--style-layer-weights', v['style-layer-weights']),
    styleBlend: list('--style-blend', v['style-blend']),
    styleScale: num('--style-scale', v['style-scale']),
    pooling: v.pooling as 'max' | 'avg' | undefined,
    seed: num('--seed', v.seed),
    originalColors: v['original-colors'],
    printEvery: num('--print-every', v['print-every']),
    saveEvery: num('--save-every', v['save-every']),
    autotune: v['no-autotune'] ? false : undefined,
  };
}

function number(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${name} must be a number, got "${text}"`);
  return value;
}

/** The output must be a .png/.jpg, not one of the inputs, in a folder we can write. */
function checkOutput(output: string, inputs: string[]): string {
  const path = resolve(output);
  if (!['.png', '.jpg', '.jpeg'].includes(extname(path).toLowerCase())) {
    throw new UsageError(`${output}: the output must end in .png, .jpg or .jpeg`);
  }
  if (inputs.some((input) => resolve(input) === path)) throw new UsageError(`${output} is an input image; refusing to write over it (choose another --output)`);
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch {
    throw new UsageError(`${output}: cannot write into ${dirname(path)} (missing folder or no permission)`);
  }
  return path;
}

export function snapshotPath(output: string, scale: number, step: number): string {
  const ext = extname(output);
  return join(dirname(output), `${basename(output, ext)}-s${scale}-${String(step).padStart(4, '0')}${ext}`);
}
