// Every command's arguments go through node:util parseArgs; an unknown option is refused in one line
// that names the closest option the command takes, found in the very table parseArgs was given.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs (strict: unknown options are errors) with its errors worded for people. `command` names the command in the message
 * ("weights fetch"; '' for the style run) and where its help is.
 */
export function parseCommand<T extends ParseArgsConfig>(config: T, command: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new UsageError(`${command ? `${command}: ` : ''}${parseProblem(err, config.options ?? {})}; see \`${helpCommand(command)}\``);
  }
}

function helpCommand(command: string): string {
  return `wgpu-style ${command ? `${command} ` : ''}--help`;
}

/** Node's parseArgs errors, in a few words ("unknown option --colour (did you mean --color?)"). */
export function parseProblem(err: unknown, options: Options): string {
  const { code, message } = err as { code?: string; message: string };
  const quoted = /'([^']*)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const near = closestOption(quoted ?? '', options);
    return `unknown option ${quoted}${near ? ` (did you mean ${near}?)` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument "${quoted}" (it takes no file)`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return message.replace(/\s*\n\s*/g, ' ').replace(/\.$/, '');
  throw err;
}

/**
 * The option of `options` nearest to `given` ("--colour" -> "--color", "--stepz" -> "--steps",
 * "--lbfgs" -> "--lbfgs-history"), or null when none is near enough to be what was meant.
 */
export function closestOption(given: string, options: Options): string | null {
  const word = given.replace(/^-+/, '').split('=')[0]!.toLowerCase();
  if (word.length === 0) return null;
  const names = Object.keys(options);
  // A unique option that starts with what was typed (a shortened flag) is what was meant.
  const prefixed = names.filter((n) => n.startsWith(word));
  if (prefixed.length === 1 && word.length >= 3) return `--${prefixed[0]}`;
  let best: { name: string; distance: number } | null = null;
  for (const name of names) {
    const distance = editDistance(word, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  // Typos: at most a third of the word (at least 1, at most 3) edits away.
  const allowed = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  return best && best.distance <= allowed ? `--${best.name}` : null;
}

/** Edits (insert, delete, substitute, swap two neighbours) from a to b. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
