// What the option table (options.ts) derives: the settings' type and defaults, the seed's loss, the
// settings a run's result depends on, and each key's command-line flag.

import type { RgbaImage } from '../style/image-tensor.js';
import type { LossConfig } from '../style/loss.js';
import { optionFlag } from '../util/option-flag.js';
import type { OptionSpec } from './option-spec.js';
import { SETTINGS } from './options.js';

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

/** The value type of a declaration (an OptionSpec) by its kind. */
export type ValueOf<S> = S extends { kind: 'int' | 'number' }
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
  return optionFlag(key, spec?.kind === 'flag' && spec.default === true);
}

/** The seed's configuration: the declared defaults (layers as indices). */
export const SEED_LOSS: LossConfig = {
  contentLayers: DEFAULT_SETTINGS.contentLayers.map(Number),
  styleLayers: DEFAULT_SETTINGS.styleLayers.map(Number),
  contentWeight: DEFAULT_SETTINGS.contentWeight,
  styleWeight: DEFAULT_SETTINGS.styleWeight,
  tvWeight: DEFAULT_SETTINGS.tvWeight,
};
