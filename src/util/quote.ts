// Names read from a file, quoted for a one-line message: at most a few, each cut short, since a
// crafted file may hold thousands of names, each of any length.

export function quoteNames(names: readonly string[], most = 8): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, most).map((name) => JSON.stringify(name.length > 24 ? `${name.slice(0, 24)}…` : name));
  return shown.join(', ') + (names.length > most ? ` and ${names.length - most} more` : '');
}
