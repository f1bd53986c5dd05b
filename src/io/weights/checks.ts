// Small checks for untrusted JSON (a .bin header, a TF.js model.json): type guards. Values from
// such files are quoted for messages by `show` in src/util/quote.ts.

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
