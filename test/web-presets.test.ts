// The page's quality presets (src/web/presets.ts) are settings the option table declares, with
// values it accepts; "Best" is the CLI's defaults. test/web.test.ts checks the menu in Chromium.

import { describe, expect, it } from 'vitest';
import { invalidReason } from '../src/plan/option-spec.js';
import { SETTINGS } from '../src/plan/options.js';
import { DEFAULT_SETTINGS } from '../src/plan/settings.js';
import { describePreset, QUALITY_PRESETS } from '../src/web/presets.js';
import { ESSENTIAL_SETTINGS, pageFields } from '../src/web/settings-form.js';

describe('quality presets', () => {
  it('set only fields the page shows, to values their declarations accept', () => {
    const fields = new Set(pageFields().map((f) => f.key));
    for (const preset of QUALITY_PRESETS)
      for (const [key, value] of Object.entries(preset.values)) {
        expect(fields.has(key as keyof typeof SETTINGS), `${preset.name}.${key}`).toBe(true);
        expect(invalidReason(SETTINGS[key as keyof typeof SETTINGS], value), `${preset.name}.${key}`).toBeNull();
      }
  });

  it('go from quick to best, Best being the CLI defaults, each told apart by its values', () => {
    expect(QUALITY_PRESETS.map((p) => p.name)).toEqual(['Quick', 'Balanced', 'Best']);
    const best = QUALITY_PRESETS.at(-1)!.values;
    expect(best).toEqual({ size: DEFAULT_SETTINGS.size, scales: DEFAULT_SETTINGS.scales, steps: DEFAULT_SETTINGS.steps });
    const work = (p: (typeof QUALITY_PRESETS)[number]) => p.values.size ** 2 * p.values.steps * p.values.scales;
    for (let i = 1; i < QUALITY_PRESETS.length; i++) expect(work(QUALITY_PRESETS[i]!)).toBeGreaterThan(work(QUALITY_PRESETS[i - 1]!));
    expect(ESSENTIAL_SETTINGS).toEqual(expect.arrayContaining(['size', 'steps']));
    expect(describePreset(QUALITY_PRESETS[0]!)).toBe('Quick: 256 px, 1 scale, 100 steps per scale');
  });
});
