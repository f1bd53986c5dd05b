// Errors that are the user's to fix (bad input, missing files, a wrong setting): the CLI prints
// their message alone, without a stack trace, and exits with status 2.

export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A setting that planJob (src/plan/plan-job.ts) refuses. It names the setting by its key
 * (`lrDecayEvery`); each edge words it with its own name for that setting (the CLI's flag,
 * the page's field label) through `optionMessage`.
 */
export class OptionError extends UserError {
  /** The settings at fault, by key (several when only their combination is wrong). */
  readonly options: readonly string[];

  constructor(
    option: string | readonly string[],
    /** The value given (for several options, their values in the same order). */
    readonly value: unknown,
    /** What is wrong and how to fix it, to follow the setting's name ("must be a whole number >= 1, got 0"). */
    readonly reason: string,
  ) {
    const options = typeof option === 'string' ? [option] : option;
    super(optionMessage({ options, reason }, (key) => key));
    this.options = options;
  }

  get option(): string {
    return this.options[0]!;
  }
}

/** "a", "a and b", "a, b and c". */
export function listWords(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** One line for an OptionError, naming each setting as `label` does. */
export function optionMessage(err: Pick<OptionError, 'options' | 'reason'>, label: (key: string) => string): string {
  return `${listWords(err.options.map(label))} ${err.reason}`;
}

/**
 * A run stopped (aborted) before its first step: it has no image worth giving, so it writes
 * nothing (an existing output stays as it was).
 */
export class StoppedBeforeStartError extends UserError {
  constructor() {
    super('stopped before the first step: no image was written');
  }
}

/** The one form of a warning on the terminal (the CLI's and the Node library's): the run goes on. */
export function warning(message: string): string {
  return `warning: ${message}`;
}
