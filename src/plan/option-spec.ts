// What an option declaration says (its kind and range, default, help, page label), how a value
// is shown, and why a value is not valid for its declaration. The declarations are in options.ts.

export type OptionKind =
  | { kind: 'int'; min: number; max?: number }
  /** `above`: the value must be greater than `min`, not equal to it; `below`: less than `max`. */
  | { kind: 'number'; min: number; above?: boolean; max?: number; below?: boolean }
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
  /** Given once per item (the CLI's flag repeated), its values in order. */
  multiple?: boolean;
};

/** How a value is shown in help text and on the page. */
export function formatValue(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** Help lines with "(default" completed by the declared default (--help and the page's help texts). */
export function withDefault(spec: OptionSpec): string[] {
  if (spec.default === undefined || spec.kind === 'flag') return [...spec.help];
  return spec.help.map((line) => line.replace(/\(default(?=[);]| =)/, `(default ${formatValue(spec.default)}`));
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
      const { min, max, above, below } = spec;
      const aboveMin = typeof value === 'number' && Number.isFinite(value) && (above ? value > min : value >= min);
      const belowMax = max === undefined || (typeof value === 'number' && (below ? value < max : value <= max));
      if (aboveMin && belowMax) return null;
      const from = `${above ? '>' : '>='} ${min}`;
      return max === undefined
        ? `must be a number ${from}, got ${shown}`
        : `must be a number ${from} and ${below ? '<' : '<='} ${max}, got ${shown}`;
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
