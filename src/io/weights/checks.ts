// Small checks for untrusted JSON (a .bin header, a TF.js model.json): type guards, and `show`,
// which quotes any value for a one-line error message however long, nested or odd it is.

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A whole number >= 0 that a double holds exactly (a size, an offset, a dimension). */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isCountList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every(isCount);
}

export function isFiniteList(value: unknown, length: number): value is number[] {
  return Array.isArray(value) && value.length === length && value.every((v) => typeof v === 'number' && Number.isFinite(v));
}

/** `value` as JSON on one line, cut to `max` characters: safe for any input, even a cyclic one. */
export function show(value: unknown, max = 60): string {
  let text: string;
  try {
    text = value === undefined ? 'missing' : (JSON.stringify(value) ?? String(value));
  } catch {
    text = Array.isArray(value) ? 'a list' : typeof value;
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
