// Values read from a file, quoted for a one-line message: bounded however long, nested or odd they
// are, since a crafted file may hold a string of any length, thousands of names, or a pickle's list
// nested in itself 2^40 times through shared references (JSON.stringify would expand it all).

/** Deeper than this, a nested value is quoted as "[…]" or "{…}". */
const SHOW_DEPTH = 8;
/** How many names `quoteNames` lists, and how many characters of each. */
const SHOWN_NAMES = 8;
const NAME_CHARS = 24;

/** The first `most` characters of `text`, and "…" if it had more. */
export function clip(text: string, most: number): string {
  return text.length > most ? `${text.slice(0, most)}…` : text;
}

/** A string as JSON (one line, escaped), its first `most` characters only. */
export function quote(text: string, most: number): string {
  return JSON.stringify(clip(text, most));
}

/**
 * `value` as JSON on one line, cut to `max` characters: safe for any input, even a cyclic one. The
 * walk stops as soon as `max` characters are written, so its work is O(max + depth).
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
    if (typeof v === 'string') return emit(quote(v, max));
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
        else if (Object.hasOwn(v, k) && (v as Record<string, unknown>)[k] !== undefined) item(k, (v as Record<string, unknown>)[k]);
    ancestors.delete(v);
    emit(close);
  };
  walk(value, 0);
  const text = out.join('');
  return text.length > max ? clip(text, max - 1) : text;
}

/** Names as `"a", "b" and 3 more`: at most a few, each quoted and cut short. */
export function quoteNames(names: readonly string[], most = SHOWN_NAMES): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, most).map((name) => quote(name, NAME_CHARS));
  return shown.join(', ') + (names.length > most ? ` and ${names.length - most} more` : '');
}
