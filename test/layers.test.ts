// The layering rule of ../shared/STYLE.md, checked over the import graph: imports only go down
// (cli → node/web → io → style → vgg → graph → kernels → gpu, util below all), node and web never
// import each other, and the core (everything but node, web and cli) imports nothing Node-only.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/shared.js';

const SRC = join(REPO_ROOT, 'src');
const RANK: Record<string, number> = { util: 0, gpu: 1, kernels: 2, graph: 3, vgg: 4, style: 5, io: 6, node: 7, web: 7, cli: 8, '.': 9 };
const CORE = ['util', 'gpu', 'kernels', 'graph', 'vgg', 'style', 'io'];
/** Packages that only run in Node. */
const NODE_ONLY = /^(node:|webgpu$|h5wasm|tsx)/;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : /\.ts$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

function layerOf(path: string): string {
  const rel = relative(SRC, path).split('/');
  return rel.length === 1 ? '.' : rel[0]!;
}

/** Every module a file imports or re-exports (type-only imports too: they couple the layers all the same). */
export function importsOf(source: string): string[] {
  const specs = [...source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms), ...source.matchAll(/import\(\s*'([^']+)'\s*\)/g)];
  return specs.map((m) => m[1]!);
}

function violations(): string[] {
  const found: string[] = [];
  for (const file of files(SRC)) {
    const layer = layerOf(file);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const where = relative(REPO_ROOT, file);
      if (!spec.startsWith('.')) {
        if (CORE.includes(layer) && NODE_ONLY.test(spec)) found.push(`${where} (core) imports the Node-only ${spec}`);
        continue;
      }
      const target = layerOf(join(file, '..', spec));
      if (target === '.' && layer !== '.') found.push(`${where} imports the package entry`);
      else if (RANK[target]! > RANK[layer]!) found.push(`${where} (${layer}) imports upward from ${target}: ${spec}`);
      else if (RANK[target] === RANK[layer] && target !== layer)
        found.push(`${where} (${layer}) imports its sibling edge ${target}: ${spec}`);
    }
  }
  return found;
}

describe('layers', () => {
  it('imports only go down, and the core imports nothing Node-only', () => {
    expect(violations()).toEqual([]);
  });

  it('the check sees an upward import, a sibling edge and a Node module in the core', () => {
    expect(importsOf("import { a } from '../node/x.js';\nexport { b } from './y.js';\nimport type {\n  C,\n} from 'node:fs';")).toEqual([
      '../node/x.js',
      './y.js',
      'node:fs',
    ]);
    // The rule itself, on made-up edges: what would have been caught.
    const rank = (from: string, to: string) => RANK[to]! > RANK[from]!;
    expect(rank('io', 'node')).toBe(true);
    expect(rank('gpu', 'kernels')).toBe(true);
    expect(rank('cli', 'gpu')).toBe(false);
    expect(NODE_ONLY.test('node:fs') && NODE_ONLY.test('webgpu') && !NODE_ONLY.test('jpeg-js')).toBe(true);
  });
});
