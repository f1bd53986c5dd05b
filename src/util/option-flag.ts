// The command line's name for a setting key, for messages in any layer: lrDecayEvery ->
// --lr-decay-every. A flag on by default is turned off with --no-… (src/plan/options.ts's flagFor
// knows which settings those are).

export function optionFlag(key: string, onByDefault = false): string {
  return `--${onByDefault ? 'no-' : ''}${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
