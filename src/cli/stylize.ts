// `wgpu-style <content> <style> [<style> ...] [options]`: the style transfer from the terminal.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeImage } from '../io/image.js';
import { writeImage } from '../node/image-files.js';
import { readCheckpoint, stylize } from '../node/stylize.js';
import type { StyleProgress, StyleResult } from '../style/job.js';
import { DEFAULT_SETTINGS as D, type StyleSettings } from '../style/settings.js';
import { UsageError } from './errors.js';
import { defaultCheckpointPath, planOutputs, snapshotPath } from './outputs.js';
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
  --checkpoint-every <n>     Every n steps (and on Ctrl-C) save what the run needs to go on
                             later with --resume; 0 = never (default 0)
  --checkpoint <file>        Where checkpoints go (default: the output's name + .ckpt)
  --resume <file>            Go on from a checkpoint. Alone (wgpu-style --resume out.png.ckpt)
                             it repeats that run's command; given images and options, they
                             must be the ones the checkpoint was made with. The resumed run
                             ends on the same image as one never stopped

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

Input
  --max-megapixels <n>       Refuse image files with more pixels than this, before decoding
                             them (default 200); any size below works, whatever --size is
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

Ctrl-C stops within a step, writes the current image (and a checkpoint, if they are on) and
exits with status 130; a second Ctrl-C quits at once. A loss that becomes NaN or infinite stops
the run, keeps the last good image and exits with status 3. Bad input exits with status 2 before
any work. If the output cannot be written at the end (disk full, folder removed), the image is
written to the system's temporary folder instead, named on stderr, and the exit status is 4.

Examples
  wgpu-style photo.jpg starry_night.jpg -o out.png
  wgpu-style photo.jpg a.jpg b.jpg --style-blend 0.7,0.3 --size 768 --original-colors
  wgpu-style photo.jpg starry_night.jpg --preset seed --weights vgg19.bin`;

const OPTIONS = {
  output: { type: 'string', short: 'o', default: 'out.png' },
  quality: { type: 'string', default: '92' },
  'save-every': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  checkpoint: { type: 'string' },
  resume: { type: 'string' },
  'max-megapixels': { type: 'string' },
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
  // `--resume file` alone repeats the checkpoint's command.
  if (v.resume !== undefined && positionals.length === 0) {
    const saved = await readCheckpoint(v.resume);
    if (saved.command.length === 0) throw new UsageError(`${v.resume}: the checkpoint does not record its command; give the images and options again with --resume`);
    return stylizeCommand([...saved.command, '--resume', v.resume, ...args.filter((a, i) => a !== '--resume' && args[i - 1] !== '--resume')]);
  }
  const settings = readSettings(v);
  const [content, ...styles] = positionals;
  if (!content || (styles.length === 0 && settings.styleWeight !== 0)) {
    throw new UsageError('give a content image and at least one style image: wgpu-style <content> <style> [options] (see --help)');
  }
  const initFile = typeof v.init === 'string' && !['content', 'random'].includes(v.init) ? v.init : null;
  const images = [content, ...styles, ...(initFile ? [initFile] : [])];
  for (const input of images) if (!existsSync(input)) throw new UsageError(`${input}: no such file`);
  const quality = number('--quality', v.quality!);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new UsageError(`--quality must be a whole number 1–100, got ${v.quality}`);
  const checkpointEvery = v['checkpoint-every'] === undefined ? 0 : number('--checkpoint-every', v['checkpoint-every']);
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 0) throw new UsageError(`--checkpoint-every must be a whole number >= 0, got ${v['checkpoint-every']}`);
  const megapixels = v['max-megapixels'] === undefined ? undefined : number('--max-megapixels', v['max-megapixels']);
  if (megapixels !== undefined && !(megapixels > 0)) throw new UsageError(`--max-megapixels must be a number > 0, got ${v['max-megapixels']}`);
  const checkpointPath = checkpointEvery > 0 ? (v.checkpoint ?? defaultCheckpointPath(v.output!)) : null;
  // Nothing the run reads may be written over: images, weights, the checkpoint it resumes from.
  const inputs = [...images, ...(v.weights ? [v.weights] : [])];
  const outputs = planOutputs(v.output!, checkpointPath, v.resume !== undefined && checkpointPath !== null && resolve(v.resume) === resolve(checkpointPath) ? inputs : [...inputs, ...(v.resume ? [v.resume] : [])]);

  const printer = new ProgressPrinter(Boolean(v.json));
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write(`\nstopping: writing the current image${checkpointPath ? ' and a checkpoint' : ''} (Ctrl-C again to quit at once)\n`);
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
      maxPixels: megapixels === undefined ? undefined : megapixels * 1e6,
      gpu: { backend: v.backend, adapter: v.adapter },
      signal: abort.signal,
      checkpoint: checkpointPath ? { path: checkpointPath, every: checkpointEvery, command: commandOf(v, positionals) } : undefined,
      resume: v.resume,
      onPlan: (plan) => outputs.checkSnapshots(plan, plan.snapshotEvery),
      onProgress: (p: StyleProgress) => printer.progress(p),
      onSnapshot: (image, at) => writeSnapshot(snapshotPath(v.output!, at.scale, at.step), image, quality),
      onDownload: byteProgress('downloading weights'),
      log: (m) => console.error(m),
    });
  } catch (err) {
    outputs.result.discard();
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
  const written = outputs.result.commitOrFallback(encodeImage(v.output!, result.image, quality));
  printer.done(result, written.path);
  if (written.failure) {
    console.error(`wgpu-style: ${written.failure}; the result was written to ${written.path} instead`);
    return 4;
  }
  if (result.stopped === 'diverged') return 3;
  if (result.stopped === 'aborted') return 130;
  return 0;
}

/** A snapshot that cannot be written costs a warning, not the run. */
function writeSnapshot(path: string, image: StyleResult['image'], quality: number): void {
  try {
    writeImage(path, image, quality);
  } catch (err) {
    console.error(`wgpu-style: warning: snapshot not written: ${(err as Error).message}`);
  }
}

const PATH_OPTIONS = new Set(['output', 'weights', 'checkpoint', 'init']);

/** The run's command with absolute paths, kept in checkpoints so that `--resume` alone repeats it. */
function commandOf(v: Values, positionals: string[]): string[] {
  const out = positionals.map((p) => resolve(p));
  for (const [key, value] of Object.entries(v)) {
    if (key === 'resume' || key === 'help' || value === undefined || value === false) continue;
    if (value === true) out.push(`--${key}`);
    else if (key === 'init' && (value === 'content' || value === 'random')) out.push('--init', value);
    else out.push(`--${key}`, PATH_OPTIONS.has(key) ? resolve(String(value)) : String(value));
  }
  return out;
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
