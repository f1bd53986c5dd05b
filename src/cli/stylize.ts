// `wgpu-style <content> <style> [<style> ...] [options]`: the style transfer from the terminal.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { encodeImage } from '../io/image.js';
import { ConvertError } from '../io/weights/convert-error.js';
import { PreparedWrite } from '../node/safe-write.js';
import { readCheckpoint, stylize } from '../node/stylize.js';
import type { StyleProgress, StyleResult } from '../style/job.js';
import { StoppedBeforeStartError, warning } from '../util/errors.js';
import { VGG19_CONVS } from '../vgg/index.js';
import { UsageError } from './errors.js';
import { stopOnCtrlC } from './interrupt.js';
import { optionsHelp, parserTable, readOptions } from './options.js';
import { defaultCheckpointPath, planOutputs, snapshotPath } from './outputs.js';
import { parseCommand } from './parse.js';
import { byteProgress, phasePrinter } from './progress.js';
import { resumedCommand } from './resume.js';
import { ProgressPrinter } from './report.js';

export const STYLIZE_HELP = `Usage: wgpu-style <content> <style> [<style> ...] [options]

Paints the content image in the style of the style image(s) (Gatys et al.), optimising the image
against VGG-19 features on the GPU. The result is written to --output.

${optionsHelp()}

Ctrl-C stops within a step, writes the current image (and a checkpoint, if they are on) and
exits with status 130; a second Ctrl-C quits at once. A loss that becomes NaN or infinite stops
the run, keeps the last good image and exits with status 3. Bad input exits with status 2 before
any work. If the output cannot be written at the end (disk full, folder removed), the image is
written to the system's temporary folder instead, named on stderr, and the exit status is 4.

Examples
  wgpu-style photo.jpg starry_night.jpg -o out.png
  wgpu-style photo.jpg a.jpg b.jpg --style-blend 0.7,0.3 --size 768 --original-colors
  wgpu-style photo.jpg starry_night.jpg --preset seed --weights vgg19.bin`;

const OPTIONS = parserTable();

export async function stylizeCommand(args: string[]): Promise<number> {
  const parsed = parseCommand({ args, options: OPTIONS, allowPositionals: true }, '');
  let values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  let { positionals } = parsed;
  if (values.help) {
    console.log(STYLIZE_HELP);
    return 0;
  }
  // `--resume file` alone takes the images, the result settings and --weights the checkpoint records,
  // nothing else (TAKEN_OPTIONS, src/cli/resume.ts).
  if (typeof values.resume === 'string' && positionals.length === 0)
    ({ values, positionals } = resumedCommand(values.resume, await readCheckpoint(values.resume), values));
  const { settings, run } = readOptions(values);
  const [content, ...styles] = positionals;
  if (!content || (styles.length === 0 && settings.styleWeight !== 0)) {
    throw new UsageError('give a content image and at least one style image: wgpu-style <content> <style> [options] (see --help)');
  }
  const initFile = typeof settings.init === 'string' && !['content', 'random'].includes(settings.init) ? settings.init : null;
  const images = [content, ...styles, ...(run.styleMask ?? []), ...(initFile ? [initFile] : [])];
  for (const input of images) if (!existsSync(input)) throw new UsageError(`${input}: no such file`);
  if (run.checkpoint !== undefined && run.checkpointEvery === 0)
    throw new UsageError(
      `--checkpoint ${run.checkpoint} says where checkpoints go, but none are made: add --checkpoint-every <n> (such as 50)`,
    );
  const checkpointPath = run.checkpointEvery > 0 ? (run.checkpoint ?? defaultCheckpointPath(run.output)) : null;
  // Nothing the run reads may be written over: images, weights, the checkpoint it resumes from.
  const inputs = [...images, ...(run.weights ? [run.weights] : [])];
  const resumesOwnCheckpoint = run.resume !== undefined && checkpointPath !== null && resolve(run.resume) === resolve(checkpointPath);
  const outputs = planOutputs(run.output, checkpointPath, resumesOwnCheckpoint || !run.resume ? inputs : [...inputs, run.resume]);

  const printer = new ProgressPrinter(run.json);
  const interrupt = stopOnCtrlC('stopping (Ctrl-C again to quit at once)');
  let result: StyleResult;
  try {
    result = await stylize({
      ...settings,
      content,
      styles,
      styleMasks: run.styleMask,
      weights: run.weights,
      offline: run.offline,
      maxMegapixels: run.maxMegapixels,
      gpu: { backend: run.backend, adapter: run.adapter },
      signal: interrupt.signal,
      checkpoint: checkpointPath
        ? { path: checkpointPath, every: run.checkpointEvery, command: commandOf(values, positionals) }
        : undefined,
      resume: run.resume,
      onPlan: (plan) => outputs.checkSnapshots(plan, plan.saveEvery),
      onProgress: (p: StyleProgress) => printer.progress(p),
      onPhase: phasePrinter(run.json),
      onSnapshot: (image, at) => writeSnapshot(snapshotPath(run.output, at.scale, at.step), image, run.quality),
      onDownload: byteProgress('downloading weights'),
      log: (m) => console.error(m),
    });
  } catch (err) {
    outputs.result.discard();
    if (err instanceof ConvertError && err.upTo !== undefined && run.weights)
      throw new UsageError(partialWeights(err, run.weights, err.upTo));
    if (!(err instanceof StoppedBeforeStartError)) throw err;
    const kept = existsSync(run.output) ? `${run.output} is as it was` : `${run.output} was not created`;
    console.error(`wgpu-style: ${err.message}; ${kept}`);
    return 130;
  } finally {
    interrupt.dispose();
  }
  const written = outputs.result.commitOrFallback(encodeImage(run.output, result.image, run.quality));
  printer.done(result, written.path);
  if (written.failure) {
    console.error(`wgpu-style: ${written.failure}; the result was written to ${written.path} instead`);
    return 4;
  }
  if (result.stopped === 'diverged') return 3;
  if (result.stopped === 'aborted') return 130;
  return 0;
}

/** A --weights file that stops before a layer: a style run converts whole files, `weights convert --up-to` the layers it has. */
function partialWeights(err: ConvertError, file: string, upTo: number): string {
  const last = VGG19_CONVS.filter((m) => m.index <= upTo).at(-1)!.name;
  return (
    `${err.message}: give weights with all of VGG-19's convs, or convert the layers it has ` +
    `(wgpu-style weights convert ${file} --up-to ${last} -o part.bin) and run with --weights part.bin and --content-layers and --style-layers up to ${last}`
  );
}

/** A snapshot that cannot be written (a full disk, its folder removed: not made again) costs a warning, not the run. */
function writeSnapshot(path: string, image: StyleResult['image'], quality: number): void {
  try {
    PreparedWrite.replace(path, encodeImage(path, image, quality));
  } catch (err) {
    console.error(warning(`snapshot not written: ${(err as Error).message}`));
  }
}

const PATH_OPTIONS = new Set(['output', 'weights', 'checkpoint', 'init']);

/** The run's command with absolute paths, kept in checkpoints so that `--resume` alone repeats it. */
function commandOf(v: Record<string, string | boolean | string[] | undefined>, positionals: string[]): string[] {
  const out = positionals.map((p) => resolve(p));
  for (const [key, value] of Object.entries(v)) {
    if (key === 'resume' || key === 'help' || value === undefined || value === false) continue;
    if (value === true) out.push(`--${key}`);
    else if (Array.isArray(value))
      for (const file of value) out.push(`--${key}`, resolve(file)); // --style-mask's files
    else if (key === 'init' && (value === 'content' || value === 'random')) out.push('--init', value);
    else out.push(`--${key}`, PATH_OPTIONS.has(key) ? resolve(String(value)) : String(value));
  }
  return out;
}
