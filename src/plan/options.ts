// Every setting of a style run, declared once: its key (the library's name; the command line's
// flag is derived from it), kind and range, default, help text, and the page's label if the page
// shows it. The CLI's parser table and --help, planJob's checks, the library's option type and the
// web page's form are all derived from this table (see test/options.test.ts).

import type { RgbaImage } from '../style/image-tensor.js';
import type { OptionSpec } from './option-spec.js';

export { formatValue, invalidReason, type OptionKind, type OptionSpec } from './option-spec.js';

/** The learning rate when none is given: Adam's (the seed's), and L-BFGS's step length (torch's and neural-style's). */
export const DEFAULT_LR = { adam: 0.01, lbfgs: 1 } as const;

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
    help: [
      'Steps per scale (default): Adam steps, or L-BFGS loss evaluations',
      "(torch.optim.LBFGS's max_eval; without a line search, one per",
      "iteration, as neural-style's -num_iterations)",
    ],
  },
  lr: {
    kind: 'number',
    min: 0,
    above: true,
    arg: '<x>',
    group: 'Size and schedule',
    label: 'Learning rate',
    help: [
      `Adam's learning rate (default ${DEFAULT_LR.adam}), or L-BFGS's step length`,
      `(default ${DEFAULT_LR.lbfgs}); the image lives in ImageNet-normalised RGB`,
      'whatever the weights, so this means the same for every weights file',
    ],
  },
  lrDecay: {
    kind: 'number',
    min: 0,
    default: 0.1,
    arg: '<x>',
    group: 'Size and schedule',
    help: ['Adam: multiply the learning rate by this every --lr-decay-every', 'steps (default)'],
  },
  lrDecayEvery: {
    kind: 'int',
    min: 1,
    default: 200,
    arg: '<n>',
    group: 'Size and schedule',
    label: 'Decay the learning rate every (steps)',
    help: ['Adam: apply --lr-decay every n steps of a scale (default)'],
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
  optimizer: {
    kind: 'choice',
    values: ['adam', 'lbfgs'],
    default: 'adam',
    arg: 'adam|lbfgs',
    group: 'Optimizer',
    label: 'Optimizer',
    help: [
      "adam (the seed's) or lbfgs (neural-style's), which reaches a given",
      'loss in fewer evaluations and takes more GPU memory (default)',
    ],
  },
  lbfgsHistory: {
    kind: 'int',
    min: 1,
    max: 1000,
    default: 20,
    arg: '<m>',
    group: 'Optimizer',
    help: ['L-BFGS: curvature pairs kept (default); each pair is two', 'image-sized vectors on the GPU (torch and neural-style keep 100)'],
  },
  lineSearch: {
    kind: 'choice',
    values: ['none', 'strong-wolfe'],
    default: 'none',
    arg: 'none|strong-wolfe',
    group: 'Optimizer',
    help: [
      "L-BFGS: steps of --lr (none, neural-style's), or a search for a",
      "step meeting the strong Wolfe conditions, as torch.optim.LBFGS's",
      'line_search_fn (default)',
    ],
  },
  toleranceChange: {
    kind: 'number',
    min: 0,
    arg: '<x>',
    group: 'Optimizer',
    help: [
      'L-BFGS: end a scale early when a step changes the loss, or a pixel,',
      "by less than x (torch's tolerance_change; off by default)",
    ],
  },
  toleranceGrad: {
    kind: 'number',
    min: 0,
    arg: '<x>',
    group: 'Optimizer',
    help: ['L-BFGS: end a scale early once no gradient component exceeds x', "(torch's tolerance_grad; off by default)"],
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
  maxMemory: {
    kind: 'int',
    min: 1,
    arg: '<MiB>',
    group: 'GPU',
    help: [
      'GPU memory the run may use; a scale that needs more recomputes',
      'activations in the backward pass (slower), and one that does not',
      'fit even so is refused before any work, with the largest size that',
      "fits (default: 3/4 of this machine's memory; a browser tab: 2048)",
    ],
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

/**
 * Groups whose settings do not shape the result: how it is written and reported, and the device's
 * budget and tuning. A run's identity (runIdentity, src/io/checkpoint-file.ts) covers every other
 * setting, and `--resume` alone takes only those from a checkpoint (src/cli/resume.ts).
 */
const GROUPS_OUTSIDE_RESULT: readonly string[] = ['Output', 'Progress', 'GPU'];

/** The settings that shape the result, which a run's identity covers. */
export const RESULT_SETTINGS = (Object.entries(SETTINGS) as Array<[SettingKey, OptionSpec]>)
  .filter(([, spec]) => !GROUPS_OUTSIDE_RESULT.includes(spec.group))
  .map(([key]) => key);
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
