// `wgpu-style --resume <file>` alone. The checkpoint is data, not a program: of the command it
// records, only what the run's identity covers is taken: the images, the settings that shape the
// result (RESULT_SETTINGS, src/plan/options.ts) and the weights' path, each of which the resumed
// run refuses unless it matches the identity's digests and settings. Everything else (where and
// how it writes, limits, progress, the device) comes only from the command line given: the image
// goes to -o, or beside the checkpoint under its name less .ckpt (out.png.ckpt → out.png), and
// checkpoints go on into the file resumed from only when --checkpoint-every is given again.

import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { CHECKPOINT_EXTENSION, type Checkpoint } from '../io/checkpoint-file.js';
import { flagFor, RESULT_SETTINGS } from '../plan/settings.js';
import { UsageError } from './errors.js';
import { parserTable } from './options.js';
import { OUTPUT_EXTENSIONS } from './outputs.js';

type Values = Record<string, string | boolean | string[] | undefined>;

/** The recorded options taken (parser names): those the run's identity covers, the settings by value and the weights by digest. */
export const TAKEN_OPTIONS: readonly string[] = [...RESULT_SETTINGS.map((key) => flagFor(key).slice(2)), 'weights', 'style-mask'];

/** Longer than any path Linux opens (PATH_MAX) or any option's value: a recorded argument so long was not written by us. */
const LONGEST_ARGUMENT = 4096;

/** The values and images to run, from the checkpoint `file` (read already) and the options given with it. */
export function resumedCommand(file: string, saved: Checkpoint, given: Values): { values: Values; positionals: string[] } {
  let recorded: { values: Values; positionals: string[] };
  try {
    if (saved.command.some((a) => a.length > LONGEST_ARGUMENT)) throw new Error('an argument too long');
    const parsed = parseArgs({ args: saved.command, options: parserTable(), allowPositionals: true, strict: true });
    recorded = { values: parsed.values as Values, positionals: parsed.positionals };
  } catch {
    throw new UsageError(
      `${file}: the command the checkpoint records is not one this wgpu-style takes; give the images and options again with --resume ${file}`,
    );
  }
  if (recorded.positionals.length === 0)
    throw new UsageError(
      `${file}: the checkpoint records no images; give them again: wgpu-style <content> <style> [options] --resume ${file}`,
    );
  const taken = Object.fromEntries(Object.entries(recorded.values).filter(([key]) => TAKEN_OPTIONS.includes(key)));
  const values: Values = { ...taken, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
  values.output = given.output ?? outputBeside(file);
  if (given.checkpoint === undefined && Number(values['checkpoint-every'] ?? 0) > 0) values.checkpoint = file;
  return { values, positionals: recorded.positionals };
}

/** out.png.ckpt → out.png: the image of a resumed run given no -o. */
function outputBeside(file: string): string {
  const output = file.slice(0, -CHECKPOINT_EXTENSION.length);
  if (!file.toLowerCase().endsWith(CHECKPOINT_EXTENSION) || !OUTPUT_EXTENSIONS.includes(extname(output).toLowerCase()))
    throw new UsageError(
      `${file}: a run resumed from it alone writes its image under the checkpoint's name less ${CHECKPOINT_EXTENSION} (out.png${CHECKPOINT_EXTENSION} → out.png), and this name gives none: add -o <file>`,
    );
  return output;
}
