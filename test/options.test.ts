// Every style option is declared once (src/plan/options.ts, plus the command line's own in
// src/cli/options.ts); --help, the parser, planJob's checks, the library type and the page's form
// are derived from it. These tests fail when one of them drifts from the declaration.

import { describe, expect, expectTypeOf, it } from 'vitest';
import { STYLIZE_HELP } from '../src/cli/stylize.js';
import { readOptions, RUN_OPTIONS, withDefault } from '../src/cli/options.js';
import type { StylizeOptions } from '../src/node/stylize.js';
import { formatValue, SETTINGS, type OptionSpec } from '../src/plan/options.js';
import { DEFAULT_SETTINGS, flagFor, type StyleSettings } from '../src/plan/settings.js';
import { planJob } from '../src/plan/plan-job.js';
import { OptionError } from '../src/util/errors.js';
import { pageFields } from '../src/web/settings-form.js';

const settings = Object.entries(SETTINGS) as Array<[keyof StyleSettings, OptionSpec]>;
const cliSettings = settings.filter(([, spec]) => !spec.libraryOnly);
const runOptions = Object.entries(RUN_OPTIONS) as Array<[string, OptionSpec]>;

/**
 * The defaults as the README states them, written here apart from SETTINGS: the seed's layers, loss
 * weights and Adam schedule ("Style transfer") and the quick start's 512 px, 3 scales, 300 steps;
 * each with its flag and the value --help must show.
 */
const DOCUMENTED_DEFAULTS = [
  ['size', '--size', 512, '512'],
  ['scales', '--scales', 3, '3'],
  ['steps', '--steps', 300, '300'],
  ['optimizer', '--optimizer', 'adam', 'adam'],
  ['lrDecay', '--lr-decay', 0.1, '0.1'],
  ['lrDecayEvery', '--lr-decay-every', 200, '200'],
  ['contentWeight', '--content-weight', 1, '1'],
  ['styleWeight', '--style-weight', 1000, '1000'],
  ['tvWeight', '--tv-weight', 50, '50'],
  ['contentLayers', '--content-layers', [25], '25'],
  ['styleLayers', '--style-layers', [0, 5, 10, 19, 28], '0,5,10,19,28'],
] as const;
/** The seed's Adam learning rate, which --lr defaults to with Adam. */
const SEED_ADAM_LR = 0.01;

/** The first '(default x' in a flag's entry of --help: its line and the indented lines under it. */
function helpDefault(flag: string): string | undefined {
  const lines = STYLIZE_HELP.split('\n');
  const start = lines.findIndex((line) => new RegExp(`^  (-\\w, )?${flag}( |$)`).test(line));
  if (start < 0) return undefined;
  const end = lines.findIndex((line, i) => i > start && !/^ {4,}\S/.test(line));
  const entry = lines.slice(start, end < 0 ? undefined : end).join(' ');
  return /\(default ([^);= ]+)/.exec(entry)?.[1];
}

describe('one declaration per option', () => {
  it('--help shows every command-line option with its declared default', () => {
    for (const [key, spec] of [...cliSettings, ...runOptions]) {
      const flag = flagFor(key);
      expect(STYLIZE_HELP, key).toMatch(new RegExp(`^  (-\\w, )?${flag}\\b`, 'm'));
      if (spec.default !== undefined && spec.kind !== 'flag') {
        expect(withDefault(spec).join(' '), `${key}'s help must show its default`).toContain(`(default ${formatValue(spec.default)}`);
        expect(STYLIZE_HELP).toContain(`(default ${formatValue(spec.default)}`);
      }
    }
    expect(STYLIZE_HELP).not.toMatch(/\(default\)|\(default;/); // a placeholder left unfilled
  });

  it('the parser reads every setting into its key, by kind', () => {
    const { settings: s } = readOptions({
      'tv-weight': '7',
      'no-autotune': true,
      'style-layers': 'conv1_1, 5',
      'style-blend': '3,1',
      'original-colors': true,
      pooling: 'avg',
      seed: '3',
    });
    expect(s).toEqual({
      tvWeight: 7,
      autotune: false,
      styleLayers: ['conv1_1', '5'],
      styleBlend: [3, 1],
      originalColors: true,
      pooling: 'avg',
      seed: 3,
    });
    expect(Object.keys(readOptions({}).settings)).toEqual([]);
  });

  it('planJob checks each setting against its declared range and names it by its key', () => {
    for (const [key, spec] of settings) {
      if (spec.kind !== 'int' && spec.kind !== 'number') continue;
      const below = spec.kind === 'int' || !('above' in spec && spec.above) ? spec.min - 1 : spec.min;
      let error: unknown;
      try {
        planJob({ [key]: below, ...(key === 'presetStepsScale' ? { preset: 'seed' } : {}) }, 64, 48, 1);
      } catch (err) {
        error = err;
      }
      expect(error, key).toBeInstanceOf(OptionError);
      expect((error as OptionError).option).toBe(key);
    }
  });

  it("the defaults are the seed's documented values, in the library, in the checked plan and in --help", () => {
    expectTypeOf<StylizeOptions>().toMatchTypeOf<Partial<Omit<StyleSettings, 'init'>>>();
    for (const [key, flag, value, shown] of DOCUMENTED_DEFAULTS) {
      expect(DEFAULT_SETTINGS[key], key).toEqual(value);
      expect(helpDefault(flag), `--help on ${flag}`).toBe(shown);
    }
    expect(helpDefault('--lr'), '--help on --lr').toBe(String(SEED_ADAM_LR));
    const plan = planJob({}, 1024, 768);
    expect(plan.lr).toBe(SEED_ADAM_LR);
    expect(plan.lrDecay).toBe(0.1);
    expect(plan.optimizer?.kind).toBe('adam');
    expect(plan.loss).toMatchObject({
      contentLayers: [25],
      styleLayers: [0, 5, 10, 19, 28],
      contentWeight: 1,
      styleWeight: 1000,
      tvWeight: 50,
    });
    expect(plan.scales.map((s) => [s.width, s.height, s.steps, s.lrDecayEvery])).toEqual([
      [128, 96, 300, 200],
      [256, 192, 300, 200],
      [512, 384, 300, 200],
    ]);
  });

  it("the page's form has a field per labelled setting with its default and range; the rest are left out on purpose", () => {
    const fields = pageFields();
    for (const field of fields) {
      const spec: OptionSpec = SETTINGS[field.key];
      expect(field.label).toBe(spec.label);
      expect(field.value).toBe(spec.default === undefined ? '' : formatValue(spec.default));
      if (spec.kind === 'int' || spec.kind === 'number') expect(field.min).toBe(spec.min);
    }
    // Not on the page: one style image (no blend), images only by dropping (no --init, so no seed), reports and
    // snapshots on every step the page draws, the seed preset and Adam's decay factor are for the CLI, and of
    // L-BFGS's settings the page has the choice of optimiser only; the page's memory budget is the browser default.
    const offPage = settings.filter(([, spec]) => !spec.libraryOnly && !spec.label).map(([key]) => key);
    const lbfgs = ['lbfgsHistory', 'lineSearch', 'toleranceChange', 'toleranceGrad'];
    expect(offPage.sort()).toEqual(
      ['autotune', 'init', 'lrDecay', 'maxMemory', 'preset', 'printEvery', 'saveEvery', 'seed', 'styleBlend', ...lbfgs].sort(),
    );
  });
});
