// Errors that are the user's to fix: printed as one line, exit code 2.

import { UserError } from '../util/errors.js';

export class UsageError extends UserError {}

export function positiveInt(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${name} must be a whole number >= 1, got "${text}"`);
  return value;
}
