// The import graph of a source tree, for test/layers.test.ts: which files each file imports
// (type-only imports, re-exports and import() types included), resolved as TypeScript's NodeNext
// resolution does for this repository ('./x.js' is x.ts, a folder is its index.ts), and every
// elementary cycle in it. A tree is a list of files and a reader, so the same code runs on src/
// and on made-up trees held in memory.

import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';

/** Files by path relative to the repository root ('src/gpu/tensor.ts'), and how to read one. */
export interface SourceTree {
  files: string[];
  read(file: string): string;
}

/** Every .ts file under `dir` (relative to `root`), read from disk. */
export function diskTree(root: string, dir: string): SourceTree {
  const walk = (rel: string): string[] =>
    readdirSync(posix.join(root, rel), { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .flatMap((e) => (e.isDirectory() ? walk(posix.join(rel, e.name)) : /\.ts$/.test(e.name) ? [posix.join(rel, e.name)] : []));
  return { files: walk(dir), read: (file) => readFileSync(posix.join(root, file), 'utf8') };
}

/** A tree held in memory: path → source. */
export function memoryTree(sources: Record<string, string>): SourceTree {
  return {
    files: Object.keys(sources).sort(),
    read: (file) => {
      const source = sources[file];
      if (source === undefined) throw new Error(`memoryTree: no file ${file}`);
      return source;
    },
  };
}

/** Every module a file imports or re-exports, including side-effect imports and import('...') types. */
export function importsOf(source: string): string[] {
  const patterns = [/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms, /^\s*import\s+'([^']+)'/gm, /import\(\s*'([^']+)'\s*\)/g];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1]!));
}

/**
 * The file a relative specifier names from `from`, among `known` files: './x.js' → x.ts, './x.ts',
 * './x' → x.ts, or a folder's index.ts. Null for a package, or a path that is no known .ts file.
 */
export function resolveImport(from: string, spec: string, known: ReadonlySet<string>): string | null {
  if (!spec.startsWith('.')) return null;
  const target = posix.normalize(posix.join(posix.dirname(from), spec));
  const stem = target.replace(/\.(js|ts)$/, '');
  for (const candidate of [`${stem}.ts`, `${target}.ts`, `${target}/index.ts`]) if (known.has(candidate)) return candidate;
  return null;
}

/** Each file → the files it imports (in the tree), in the order written, without repeats. */
export function importGraph(tree: SourceTree): Map<string, string[]> {
  const known = new Set(tree.files);
  const graph = new Map<string, string[]>();
  for (const file of tree.files) {
    const targets = importsOf(tree.read(file)).map((spec) => resolveImport(file, spec, known));
    graph.set(file, [...new Set(targets.filter((t): t is string => t !== null))]);
  }
  return graph;
}

/** The strongly connected components (Tarjan): files that reach each other share a number. */
function components(graph: ReadonlyMap<string, readonly string[]>): Map<string, number> {
  const component = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  let counter = 0;
  const visit = (file: string): void => {
    const own = counter++;
    low.set(file, own);
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!low.has(next)) visit(next);
      if (!component.has(next)) low.set(file, Math.min(low.get(file)!, low.get(next)!));
    }
    if (low.get(file) !== own) return;
    for (let member = stack.pop()!; ; member = stack.pop()!) {
      component.set(member, own);
      if (member === file) break;
    }
  };
  for (const file of graph.keys()) if (!low.has(file)) visit(file);
  return component;
}

/**
 * Every elementary cycle, each once: as the list of its files starting from its first file in sorted
 * order, the cycles in sorted order. A file that imports itself is a cycle of one. Stops at `limit`
 * cycles (a tangle that large is reported by its first ones).
 */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>, limit = 1000): string[][] {
  const order = [...graph.keys()].sort();
  const index = new Map(order.map((file, i) => [file, i]));
  const component = components(graph);
  const found: string[][] = [];
  for (const [s, start] of order.entries()) {
    // Cycles through `start` and files after it in its component only: each cycle is found once, from its first file.
    const path = [start];
    const onPath = new Set(path);
    const walk = (file: string): void => {
      for (const next of graph.get(file) ?? []) {
        if (found.length >= limit) return;
        if (next === start) found.push([...path]);
        else if (component.get(next) === component.get(start) && index.get(next)! > s && !onPath.has(next)) {
          path.push(next);
          onPath.add(next);
          walk(next);
          path.pop();
          onPath.delete(next);
        }
      }
    };
    walk(start);
  }
  return found
    .map((cycle) => cycle.join('\0'))
    .sort()
    .map((key) => key.split('\0'));
}

/** 'src/a.ts → src/b.ts → src/a.ts'. */
export function formatCycle(cycle: readonly string[]): string {
  return [...cycle, cycle[0]!].join(' → ');
}
