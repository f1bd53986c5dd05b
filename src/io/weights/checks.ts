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

/** Deeper than this, a nested value is quoted as "[…]" or "{…}". */
const SHOW_DEPTH = 8;

/**
 * `value` as JSON on one line, cut to `max` characters: safe for any input, even a cyclic one or a
 * pickle's list nested in itself 2^40 times through shared references (JSON.stringify would expand
 * it all). The walk stops as soon as `max` characters are written, so its work is O(max + depth).
 */
export function show(value: unknown, max = 60): string {
  if (value === undefined) return 'missing';
  const out: string[] = [];
  let length = 0;
  const full = () => length > max;
  const emit = (text: string) => {
    out.push(text);
    length += text.length;
  };
  const ancestors = new Set<object>();
  const walk = (v: unknown, depth: number): void => {
    if (full()) return;
    if (v === null || v === undefined || typeof v === 'function' || typeof v === 'symbol') return emit('null');
    if (typeof v === 'string') return emit(JSON.stringify(v.length > max ? v.slice(0, max) + '…' : v));
    if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return emit(String(v)); // NaN as itself
    if (typeof v !== 'object') return emit(typeof v);
    if (ArrayBuffer.isView(v)) return emit(`<${v.byteLength} bytes>`);
    const list = Array.isArray(v);
    const [open, close] = list ? ['[', ']'] : ['{', '}'];
    if (ancestors.has(v)) return emit(`${open}…cycle${close}`);
    if (depth >= SHOW_DEPTH) return emit(`${open}…${close}`);
    ancestors.add(v);
    emit(open);
    let first = true;
    const item = (key: unknown, item: unknown) => {
      if (!first) emit(',');
      first = false;
      if (!list) {
        walk(key, depth + 1);
        emit(':');
      }
      walk(item, depth + 1);
    };
    if (list) for (let i = 0; i < v.length && !full(); i++) item(i, v[i]);
    else if (v instanceof Map)
      for (const [k, x] of v)
        if (full()) break;
        else item(k, x);
    else
      for (const k in v)
        if (full()) break;
        else if (Object.hasOwn(v, k) && (v as JsonRecord)[k] !== undefined) item(k, (v as JsonRecord)[k]);
    ancestors.delete(v);
    emit(close);
  };
  walk(value, 0);
  const text = out.join('');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
