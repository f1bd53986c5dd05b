// Every setting of a style run, declared once: its key (the library's name; the command line's
// flag is derived from it), kind and range, default, help text, and the page's label if the page
// shows it. The CLI's parser table and --help, planJob's checks, the library's option type and the
// web page's form are all derived from this table (see test/options.test.ts).

import type { RgbaImage } from './image-tensor.js';

export type OptionKind =
  | { kind: 'int'; min: number; max?: number }
  /** `above`: the value must be greater than `min`, not equal to it. */
  | { kind: 'number'; min: number; above?: boolean }
  /** A comma-separated list of numbers >= 0. */
  | { kind: 'numbers' }
  /** A comma-separated list of VGG-19 layers, by index or name. */
  | { kind: 'layers' }
  | { kind: 'choice'; values: readonly string[] }
  | { kind: 'flag' }
  /** 'content', 'random', or an image (the CLI: its path). */
  | { kind: 'init' }
  /** Anything else the CLI passes on as text (a path, a name). */
  | { kind: 'text' };

export type OptionSpec = OptionKind & {
  /** Help lines; "(default)" is replaced by the default, else it is added to the first line. */
  help: readonly string[];
  /** The placeholder after the flag in --help ("<px>"). */
  arg?: string;
  group: string;
  default?: unknown;
  /** Shown on the web page, with this label. */
  label?: string;
  /** Not a command-line option (library only). */
  libraryOnly?: boolean;
};

export const SETTINGS = {
  size: {
    kind: 'int',
    min: 1,
    default: 512,
    arg: '<px>',
    group: 'Size and schedule',
    label: 'Size (longest side, px)',
    help: ['Longest side of the result (default); an image already', 'that size is not resampled'],
  },
  scales: {
    kind: 'int',
    min: 1,
    default: 3,
    arg: '<n>',
    group: 'Size and schedule',
    label: 'Scales',
    help: [
      'Pyramid levels, each twice the size of the one before, every level',
      'starting from the previous result; 1 = one pass (default)',
    ],
  },
  steps: {
    kind: 'int',
    min: 1,
    default: 300,
    arg: '<n>',
    group: 'Size and schedule',
    label: 'Steps per scale',
    help: ['Adam steps per scale (default)'],
  },
  lr: {
    kind: 'number',
    min: 0,
    above: true,
    default: 0.01,
    arg: '<x>',
    group: 'Size and schedule',
    label: 'Learning rate',
    help: [
      'Learning rate (default); the image lives in ImageNet-normalised',
      'RGB whatever the weights, so this means the same for every weights file',
    ],
  },
  lrDecay: {
    kind: 'number',
    min: 0,
    default: 0.1,
    arg: '<x>',
    group: 'Size and schedule',
    help: ['Multiply the learning rate by this every --lr-decay-every steps', '(default)'],
  },
  lrDecayEvery: {
    kind: 'int',
    min: 1,
    default: 200,
    arg: '<n>',
    group: 'Size and schedule',
    label: 'Decay the learning rate every (steps)',
    help: ['Apply --lr-decay every n steps of a scale (default)'],
  },
  preset: {
    kind: 'choice',
    values: ['seed'],
    arg: 'seed',
    group: 'Size and schedule',
    help: [
      'The original script: 500 steps at 200×100 (decay every 200), then',
      '300 at 560×320 (decay every 100); ignores --size/--scales/--steps',
    ],
  },
  presetStepsScale: {
    kind: 'number',
    min: 0,
    above: true,
    libraryOnly: true,
    group: 'Size and schedule',
    help: ['With preset seed: multiply its step counts (tests use a fraction)'],
  },
  contentWeight: {
    kind: 'number',
    min: 0,
    default: 1,
    arg: '<x>',
    group: 'Loss',
    label: 'Content weight',
    help: ['Weight of the content term (default; 0 removes it)'],
  },
  styleWeight: {
    kind: 'number',
    min: 0,
    default: 1e3,
    arg: '<x>',
    group: 'Loss',
    label: 'Style weight',
    help: ['Weight of the style term (default; 0 removes it)'],
  },
  tvWeight: {
    kind: 'number',
    min: 0,
    default: 50,
    arg: '<x>',
    group: 'Loss',
    label: 'TV weight',
    help: ['Weight of the total-variation (smoothness) term (default; 0 removes it)'],
  },
  contentLayers: {
    kind: 'layers',
    default: [25],
    arg: '<list>',
    group: 'Loss',
    label: 'Content layers',
    help: ['VGG-19 layers by index or name, comma-separated (default = conv4_4)'],
  },
  styleLayers: {
    kind: 'layers',
    default: [0, 5, 10, 19, 28],
    arg: '<list>',
    group: 'Loss',
    label: 'Style layers',
    help: ['(default = conv1_1,conv2_1,conv3_1,conv4_1,conv5_1)', 'Names: conv1_1 … conv5_4, relu1_1 …, pool1 …, block1_conv1 …'],
  },
  styleLayerWeights: {
    kind: 'numbers',
    arg: '<list>',
    group: 'Loss',
    label: 'Style layer weights',
    help: ['One weight per style layer (default 1 each)'],
  },
  styleBlend: { kind: 'numbers', arg: '<list>', group: 'Loss', help: ['One weight per style image (default equal)'] },
  styleScale: {
    kind: 'number',
    min: 0,
    above: true,
    default: 1,
    arg: '<x>',
    group: 'Loss',
    label: 'Style image scale',
    help: ['Style images are resized to x times the working size (default)'],
  },
  pooling: {
    kind: 'choice',
    values: ['max', 'avg'],
    default: 'max',
    arg: 'max|avg',
    group: 'Loss',
    label: 'Pooling',
    help: ['VGG pooling (default)'],
  },
  init: { kind: 'init', default: 'content', arg: 'content|random|<image>', group: 'Input and start', help: ['Starting image (default)'] },
  seed: {
    kind: 'int',
    min: 0,
    max: 2 ** 32 - 1,
    default: 1,
    arg: '<n>',
    group: 'Input and start',
    help: ['Seed for --init random (default)'],
  },
  originalColors: {
    kind: 'flag',
    default: false,
    group: 'Input and start',
    label: 'Keep the original colours',
    help: ["Keep the content's colours (transfer luminance only)"],
  },
  printEvery: { kind: 'int', min: 1, default: 50, arg: '<n>', group: 'Progress', help: ['Report losses every n steps (default)'] },
  saveEvery: {
    kind: 'int',
    min: 0,
    default: 0,
    arg: '<n>',
    group: 'Output',
    help: ['Also write the image every n steps, next to the output', '(out-s1-0100.png: scale 1, step 100); 0 = never (default)'],
  },
  autotune: {
    kind: 'flag',
    default: true,
    group: 'GPU',
    help: [
      'Use the default conv3x3 variant instead of timing the variants for',
      'this adapter and size first (the choices are cached in',
      '<cache>/autotune.json; env WGPU_STYLE_AUTOTUNE=0 does the same)',
    ],
  },
} as const satisfies Record<string, OptionSpec>;

export type SettingKey = keyof typeof SETTINGS;
type Spec<K extends SettingKey> = (typeof SETTINGS)[K];

type ValueOf<S> = S extends { kind: 'int' | 'number' }
  ? number
  : S extends { kind: 'numbers' }
    ? readonly number[]
    : S extends { kind: 'layers' }
      ? ReadonlyArray<number | string>
      : S extends { kind: 'choice'; values: readonly (infer V)[] }
        ? V
        : S extends { kind: 'flag' }
          ? boolean
          : S extends { kind: 'init' }
            ? 'content' | 'random' | RgbaImage
            : never;

type WithDefault = { [K in SettingKey]: Spec<K> extends { default: unknown } ? K : never }[SettingKey];

/** Every setting of a style run; those without a default may be left out. */
export type StyleSettings = { [K in WithDefault]: ValueOf<Spec<K>> } & { [K in Exclude<SettingKey, WithDefault>]?: ValueOf<Spec<K>> };

export const DEFAULT_SETTINGS = Object.fromEntries(
  Object.entries(SETTINGS as Record<string, OptionSpec>)
    .filter(([, spec]) => spec.default !== undefined)
    .map(([key, spec]) => [key, spec.default]),
) as StyleSettings;

/** The command line's flag for a key: lrDecayEvery -> --lr-decay-every; a flag on by default is turned off with --no-…. */
export function flagFor(key: string): string {
  const spec = (SETTINGS as Record<string, OptionSpec>)[key];
  const kebab = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return spec?.kind === 'flag' && spec.default === true ? `--no-${kebab}` : `--${kebab}`;
}

/** How a value is shown in help text and on the page. */
export function formatValue(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** Why `value` is not a valid `spec` value (a phrase to follow the option's name), or null. */
export function invalidReason(spec: OptionSpec, value: unknown): string | null {
  const shown = formatValue(value);
  switch (spec.kind) {
    case 'int': {
      const ok = typeof value === 'number' && Number.isInteger(value) && value >= spec.min && (spec.max === undefined || value <= spec.max);
      if (ok) return null;
      return spec.max === undefined
        ? `must be a whole number >= ${spec.min}, got ${shown}`
        : `must be a whole number from ${spec.min} to ${spec.max}, got ${shown}`;
    }
    case 'number': {
      const ok = typeof value === 'number' && Number.isFinite(value) && (spec.above ? value > spec.min : value >= spec.min);
      return ok ? null : `must be a number ${spec.above ? '>' : '>='} ${spec.min}, got ${shown}`;
    }
    case 'numbers': {
      const ok =
        Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0) && value.some((v) => v > 0);
      return ok ? null : `must be numbers >= 0, not all 0, got ${shown}`;
    }
    case 'layers':
      return Array.isArray(value) && value.length > 0 ? null : 'must name at least one VGG-19 layer (an index 0–36 or a name like conv4_2)';
    case 'choice':
      return spec.values.includes(value as string) ? null : `must be ${spec.values.join(' or ')}, got ${shown}`;
    case 'flag':
      return typeof value === 'boolean' ? null : `must be true or false, got ${shown}`;
    case 'init':
      return value === 'content' || value === 'random' || (typeof value === 'object' && value !== null)
        ? null
        : `must be content, random or an image, got ${shown}`;
    case 'text':
      return typeof value === 'string' ? null : `must be text, got ${shown}`;
  }
}
