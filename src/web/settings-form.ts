// The page's settings form, made from the settings declared in src/plan/options.ts: every
// setting with a page label gets a field with its declared default, range and help text (the
// same lines as --help), the essential ones up front and the rest under "Advanced", and the
// values are read back as the library's settings.

import { formatValue, SETTINGS, withDefault, type OptionSpec } from '../plan/options.js';
import { type SettingKey, type StyleSettings } from '../plan/settings.js';

export interface PageField {
  key: SettingKey;
  /** The element id: the key in kebab case (contentWeight -> content-weight). */
  id: string;
  label: string;
  /** The declaration's help lines, as --help shows them. */
  help: string;
  type: 'number' | 'text' | 'select' | 'checkbox';
  value: string;
  min?: number;
  max?: number;
  /** 1 for whole numbers, 'any' otherwise. */
  step?: string;
  options?: readonly string[];
}

/** The page's fields, in the table's order. */
export function pageFields(): PageField[] {
  return (Object.entries(SETTINGS) as Array<[SettingKey, OptionSpec]>)
    .filter(([, spec]) => spec.label !== undefined)
    .map(([key, spec]) => {
      const base = {
        key,
        id: key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
        label: spec.label!,
        help: withDefault(spec).join(' '),
        value: spec.default === undefined ? '' : formatValue(spec.default),
      };
      switch (spec.kind) {
        case 'int':
          return { ...base, type: 'number', min: spec.min, max: spec.max, step: '1' };
        case 'number':
          return { ...base, type: 'number', min: spec.min, step: 'any' };
        case 'choice':
          return { ...base, type: 'select', options: spec.values };
        case 'flag':
          return { ...base, type: 'checkbox' };
        default:
          return { ...base, type: 'text' };
      }
    });
}

/** A setting's name on the page: its field's label, quoted. */
export function fieldLabel(key: string): string {
  const label = (SETTINGS as Record<string, OptionSpec>)[key]?.label;
  return label ? `"${label}"` : key;
}

/** The settings shown up front; the others are under "Advanced". */
export const ESSENTIAL_SETTINGS: readonly SettingKey[] = ['size', 'steps', 'styleWeight', 'optimizer', 'originalColors'];

/** Adds a labelled field with its help text per setting: the essential ones to `essential`, the rest to `advanced`. */
export function buildSettingsForm(essential: HTMLElement, advanced: HTMLElement): void {
  for (const field of pageFields()) {
    const row = document.createElement('div');
    row.className = 'field';
    const label = document.createElement('label');
    label.htmlFor = field.id;
    label.textContent = field.label;
    let input: HTMLInputElement | HTMLSelectElement;
    if (field.type === 'select') {
      input = document.createElement('select');
      for (const option of field.options!) input.add(new Option(option, option));
      input.value = field.value;
    } else {
      input = document.createElement('input');
      input.type = field.type;
      if (field.type === 'checkbox') input.checked = field.value === 'true';
      else input.value = field.value;
      if (field.min !== undefined) input.min = String(field.min);
      if (field.max !== undefined) input.max = String(field.max);
      if (field.step) input.step = field.step;
    }
    input.id = field.id;
    const help = document.createElement('small');
    help.id = `${field.id}-help`;
    help.textContent = field.help;
    input.setAttribute('aria-describedby', help.id);
    row.append(label, input, help);
    (ESSENTIAL_SETTINGS.includes(field.key) ? essential : advanced).append(row);
  }
}

/** The settings the form holds; an empty optional field is left out. */
export function readSettingsForm(): Partial<StyleSettings> {
  const settings: Record<string, unknown> = {};
  for (const field of pageFields()) {
    const input = document.getElementById(field.id) as HTMLInputElement;
    const spec: OptionSpec = SETTINGS[field.key];
    if (spec.kind === 'flag') settings[field.key] = input.checked;
    else if (input.value.trim() === '') continue;
    else if (spec.kind === 'int' || spec.kind === 'number') settings[field.key] = Number(input.value);
    else if (spec.kind === 'numbers') settings[field.key] = input.value.split(',').map(Number);
    else if (spec.kind === 'layers')
      settings[field.key] = input.value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else settings[field.key] = input.value;
  }
  return settings as Partial<StyleSettings>;
}
