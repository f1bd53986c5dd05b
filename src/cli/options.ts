// The style command's options: the style settings declared in src/plan/options.ts plus the
// options only a command line has (files, progress, GPU choice), in the same form. The parser
// table, the values' conversion and checks, and the options part of --help all come from here.

import type { ParseArgsConfig } from 'node:util';
import { invalidReason, SETTINGS, withDefault, type OptionSpec } from '../plan/options.js';
import { flagFor, type SettingKey, type StyleSettings } from '../plan/settings.js';
import { DEFAULT_MAX_PIXELS } from '../io/image.js';
import { UsageError } from './errors.js';

export const RUN_OPTIONS = {
  output: {
    kind: 'text',
    default: 'out.png',
    arg: '<file>',
    group: 'Output',
    help: ['Result image, .png or .jpg (default); written atomically,', 'never over an input image'],
  },
  quality: { kind: 'int', min: 1, max: 100, default: 92, arg: '<1-100>', group: 'Output', help: ['JPEG quality (default)'] },
  checkpointEvery: {
    kind: 'int',
    min: 0,
    default: 0,
    arg: '<n>',
    group: 'Output',
    help: ['Every n steps (and on Ctrl-C) save what the run needs to go on', 'later with --resume; 0 = never (default)'],
  },
  checkpoint: {
    kind: 'text',
    arg: '<file>',
    group: 'Output',
    help: [
      "Where --checkpoint-every's checkpoints go, a name ending in .ckpt",
      "(default: the output's name + .ckpt); never over another file",
    ],
  },
  resume: {
    kind: 'text',
    arg: '<file>',
    group: 'Output',
    help: [
      'Go on from a checkpoint. Alone (wgpu-style --resume out.png.ckpt)',
      'it takes from the checkpoint only the images, --weights and the',
      'options of Size and schedule, Optimizer, Loss and Input and start',
      'but --max-megapixels; the rest (output, limits, progress, GPU)',
      'comes from this command, and it writes out.png (or -o). Images',
      'and options given must be the ones the checkpoint was made with.',
      'The resumed run ends on the same image as one never stopped',
    ],
  },
  maxMegapixels: {
    kind: 'number',
    min: 0,
    above: true,
    default: DEFAULT_MAX_PIXELS / 1e6,
    arg: '<n>',
    group: 'Input and start',
    help: ['Refuse image files with more pixels than this, before decoding', 'them (default); any size below works, whatever --size is'],
  },
  weights: {
    kind: 'text',
    arg: '<file>',
    group: 'Weights',
    help: [
      'Use these weights, no network: a .bin, or a .pth, .params or .h5',
      'VGG-19 (converted into the cache once; see wgpu-style weights --help)',
    ],
  },
  offline: {
    kind: 'flag',
    default: false,
    group: 'Weights',
    help: ['Never download; fail if the cache has no weights', "(default: download Keras's VGG-19 once, 80 MB, into the cache)"],
  },
  styleMask: {
    kind: 'text',
    multiple: true,
    arg: '<file>',
    group: 'Input and start',
    help: [
      'Spatial control: once per style image, in order, a mask white where',
      "that style goes (grey = its share; the content's shape). See",
      'docs/spatial-control.md',
    ],
  },
  json: { kind: 'flag', default: false, group: 'Progress', help: ['One JSON object per report on stdout, then a summary object'] },
  backend: {
    kind: 'text',
    arg: '<name>',
    group: 'GPU',
    help: ['Dawn backend: vulkan, metal, d3d12, opengl, opengles', "(default: the platform's; env WGPU_STYLE_BACKEND)"],
  },
  adapter: { kind: 'text', arg: '<name>', group: 'GPU', help: ['Use the adapter whose name contains <name> (env WGPU_STYLE_ADAPTER)'] },
} as const satisfies Record<string, OptionSpec>;

export const GROUPS = ['Output', 'Size and schedule', 'Optimizer', 'Loss', 'Input and start', 'Weights', 'Progress', 'GPU'];
const SHORT: Record<string, string> = { output: 'o' };
/** A few words under a group, for what no single option says. */
const GROUP_NOTES: Record<string, string[]> = {
  Loss: [
    "Content and style terms are divided by the weights' input scale (squared and to the fourth):",
    "Caffe/Keras weights see inputs ~58× larger than torchvision's, so the seed's weights",
    '1/1e3/50 stay balanced for every weights file.',
  ],
};

type RunKey = keyof typeof RUN_OPTIONS;
export type RunValues = { output: string; quality: number; checkpointEvery: number; maxMegapixels: number } & Partial<
  Record<'checkpoint' | 'resume' | 'weights' | 'backend' | 'adapter', string>
> & { offline: boolean; json: boolean; styleMask?: string[] };

/** Every option the style command takes, by key (other commands pass their own list to the functions below). */
export function cliOptions(): Array<[string, OptionSpec]> {
  const settings = (Object.entries(SETTINGS) as Array<[string, OptionSpec]>).filter(([, spec]) => !spec.libraryOnly);
  return [...Object.entries(RUN_OPTIONS), ...settings];
}

/** node:util parseArgs's table. */
export function parserTable(options = cliOptions()): NonNullable<ParseArgsConfig['options']> {
  const table: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const [key, spec] of options) {
    const type = spec.kind === 'flag' ? 'boolean' : 'string';
    table[flagFor(key).slice(2)] = { type, ...(SHORT[key] ? { short: SHORT[key] } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  return table;
}

/**
 * Parsed flags -> the style settings given and the run's own values (every option not a style
 * setting, its default filled in), each checked against its declaration.
 */
export function readOptions(
  values: Record<string, string | boolean | string[] | undefined>,
  options = cliOptions(),
): { settings: Partial<StyleSettings>; run: RunValues } {
  const settings: Record<string, unknown> = {};
  const run: Record<string, unknown> = {};
  for (const [key, spec] of options) {
    const flag = flagFor(key);
    const raw = values[flag.slice(2)];
    const target = key in SETTINGS ? settings : run;
    if (raw === undefined) {
      if (target === run) run[key] = spec.default;
      continue;
    }
    const value = Array.isArray(raw) ? raw.map((x) => convert(flag, spec, x)) : convert(flag, spec, raw);
    const reason = Array.isArray(raw)
      ? ((value as unknown[]).map((v) => invalidReason(spec, v)).find(Boolean) ?? null)
      : invalidReason(spec, value);
    if (reason && target === run) throw new UsageError(`${flag} ${reason}`);
    target[key] = value;
  }
  return { settings: settings as Partial<StyleSettings>, run: run as RunValues };
}

function convert(flag: string, spec: OptionSpec, raw: string | boolean): unknown {
  if (spec.kind === 'flag') return flag.startsWith('--no-') ? !raw : raw;
  const text = String(raw);
  switch (spec.kind) {
    case 'int':
    case 'number':
      return number(flag, text);
    case 'numbers':
      return text.split(',').map((x) => number(flag, x));
    case 'layers':
      return text
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    default:
      return text;
  }
}

export function number(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${flag} must be a number, got "${text}"`);
  return value;
}

export interface OptionGroup {
  group: string;
  /** Each option as --help shows it: its flags ("-o, --output <file>") and declaration. */
  options: Array<{ flags: string; spec: OptionSpec }>;
  notes: readonly string[];
}

/** The command line's options by group, in --help's order (also the README's table: scripts/options-table.ts). */
export function optionGroups(all = cliOptions(), groups = GROUPS): OptionGroup[] {
  return groups.map((group) => ({
    group,
    options: all
      .filter(([, spec]) => spec.group === group)
      .map(([key, spec]) => ({ flags: `${SHORT[key] ? `-${SHORT[key]}, ` : ''}${flagFor(key)}${spec.arg ? ` ${spec.arg}` : ''}`, spec })),
    notes: GROUP_NOTES[group] ?? [],
  }));
}

/** The options part of --help, by group, each default shown as declared. */
export function optionsHelp(all = cliOptions(), groups = GROUPS): string {
  return optionGroups(all, groups)
    .map(({ group, options, notes }) =>
      [group, ...options.flatMap(({ flags, spec }) => optionLines(flags, spec)), ...notes.map((note) => `  ${note}`)].join('\n'),
    )
    .join('\n\n');
}

const COLUMN = 29;

function optionLines(flags: string, spec: OptionSpec): string[] {
  const head = `  ${flags}`;
  const help = withDefault(spec);
  const first = head.length < COLUMN - 1 ? [`${head.padEnd(COLUMN)}${help[0]}`] : [head, `${' '.repeat(COLUMN)}${help[0]}`];
  return [...first, ...help.slice(1).map((line) => `${' '.repeat(COLUMN)}${line}`)];
}

export type { RunKey, SettingKey };
export { withDefault };
