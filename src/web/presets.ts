// The page's quality presets: each is a set of values of settings the option table declares
// (src/plan/options.ts), shown as one menu above the settings. "Best" is the CLI's defaults, read
// from the table; choosing a preset fills its fields, and editing one of them by hand makes the
// menu say which preset the fields now match, or "Custom".

import { DEFAULT_SETTINGS, type StyleSettings } from '../plan/settings.js';
import { pageFields } from './settings-form.js';

export type PresetValues = Pick<StyleSettings, 'size' | 'scales' | 'steps'>;

export interface QualityPreset {
  name: string;
  values: PresetValues;
}

export const QUALITY_PRESETS: readonly QualityPreset[] = [
  { name: 'Quick', values: { size: 256, scales: 1, steps: 100 } },
  { name: 'Balanced', values: { size: 384, scales: 2, steps: 200 } },
  { name: 'Best', values: { size: DEFAULT_SETTINGS.size, scales: DEFAULT_SETTINGS.scales, steps: DEFAULT_SETTINGS.steps } },
];

const CUSTOM = 'Custom';

/** One line for the menu: "Quick: 256 px, 1 scale, 100 steps per scale". */
export function describePreset({ name, values: { size, scales, steps } }: QualityPreset): string {
  return `${name}: ${size} px, ${scales} scale${scales === 1 ? '' : 's'}, ${steps} steps per scale${name === 'Best' ? " (the CLI's defaults)" : ''}`;
}

const inputFor = (key: keyof PresetValues) => document.getElementById(pageFields().find((f) => f.key === key)!.id) as HTMLInputElement;
const presetKeys = (preset: QualityPreset) => Object.keys(preset.values) as Array<keyof PresetValues>;

/** The preset the fields hold now, or "Custom". */
function matchingPreset(): string {
  const found = QUALITY_PRESETS.find((p) => presetKeys(p).every((key) => Number(inputFor(key).value) === p.values[key]));
  return found?.name ?? CUSTOM;
}

/** Fills the preset's fields with its values. */
export function applyPreset(name: string): void {
  const preset = QUALITY_PRESETS.find((p) => p.name === name);
  if (!preset) return;
  for (const key of presetKeys(preset)) inputFor(key).value = String(preset.values[key]);
}

/** The menu `select` (its options from QUALITY_PRESETS, then "Custom"), kept in step with the fields; the settings form must exist. */
export function setupPresetMenu(select: HTMLSelectElement): void {
  for (const preset of QUALITY_PRESETS) select.add(new Option(describePreset(preset), preset.name));
  select.add(new Option(`${CUSTOM}: the values below`, CUSTOM));
  select.value = matchingPreset();
  select.addEventListener('change', () => applyPreset(select.value));
  const keys = new Set(QUALITY_PRESETS.flatMap(presetKeys));
  for (const key of keys) inputFor(key).addEventListener('input', () => (select.value = matchingPreset()));
}
