// The README's options table, made from the options' declarations through the same groups and
// flags as --help (optionGroups in src/cli/options.ts). `npm run docs:options` writes it into
// README.md between the marker comments; test/readme.test.ts fails when the README's copy differs.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { optionGroups } from '../src/cli/options.js';
import { formatValue, type OptionSpec } from '../src/plan/option-spec.js';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));
export const BEGIN = '<!-- options:begin (written by npm run docs:options from the option declarations; do not edit) -->';
export const END = '<!-- options:end -->';

/** The table, in markdown: one row per option, a bold row per group, the group's notes under it. */
export function optionsTable(): string {
  const rows = ['| option | default | meaning |', '| --- | --- | --- |'];
  for (const { group, options, notes } of optionGroups()) {
    rows.push(`| **${group}** | | |`);
    for (const { flags, spec } of options) {
      const { shown, meaning } = describe(spec);
      rows.push(`| ${code(flags)} | ${shown ? code(shown) : ''} | ${text(meaning)} |`.replace('|  |', '| |'));
    }
    if (notes.length > 0) rows.push(`| | | ${text(notes.join(' '))} |`);
  }
  return rows.join('\n');
}

/**
 * The default column and the help text without its "(default)" marker: "(default)" goes, "(default;
 * rest)" keeps its rest, and "(default = name)" moves its name to the default column. Help without a
 * declared default (a flag, or a default only the text describes) is kept as --help shows it.
 */
function describe(spec: OptionSpec): { shown: string; meaning: string } {
  const help = spec.help.join(' ');
  if (spec.default === undefined || spec.kind === 'flag') return { shown: '', meaning: help };
  let shown = formatValue(spec.default);
  const meaning = help
    .replace(/ ?\(default = ([^)]*)\)/, (_, name: string) => {
      shown += ` = ${name}`;
      return '';
    })
    .replace(/ \(default\)/, '')
    .replace(/\(default; /, '(')
    .trim();
  return { shown, meaning };
}

// In a table cell a pipe ends the cell, also inside a code span, and outside one <name> is an HTML tag.
const code = (raw: string) => `\`${raw.replaceAll('|', '\\|')}\``;
const text = (raw: string) => raw.replaceAll('|', '\\|').replaceAll('<', '&lt;');

/** `readme` with the text between the markers replaced by the table. */
export function withOptionsTable(readme: string): string {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${BEGIN} … ${END} markers for the options table`);
  return `${readme.slice(0, begin + BEGIN.length)}\n\n${optionsTable()}\n\n${readme.slice(end)}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const before = readFileSync(README, 'utf8');
  const after = withOptionsTable(before);
  if (after !== before) writeFileSync(README, after);
  console.log(after === before ? 'README.md: the options table is up to date' : 'README.md: wrote the options table');
}
