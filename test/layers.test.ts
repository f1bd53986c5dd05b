// The layering rule of ../shared/STYLE.md, checked over the import graph of src: imports only go
// down (cli → node/web → io → plan → style → optim → vgg → graph → kernels → gpu, util below all;
// the package entry src/index.ts on top), node and web never import each other, the core
// (everything but node, web, cli and the entry) imports nothing Node-only, and no file reaches
// itself through its imports (type-only imports and re-exports included: a cycle between two files
// means one of them holds something that belongs to a third). The graph: test/helpers/import-graph.ts.

import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  diskTree,
  findCycles,
  formatCycle,
  importGraph,
  importsOf,
  memoryTree,
  resolveImport,
  type SourceTree,
} from './helpers/import-graph.js';
import { REPO_ROOT } from './helpers/shared.js';

/** Each folder of src by height; a file may import only from lower folders and its own. */
const RANK: Record<string, number> = {
  util: 0,
  gpu: 1,
  kernels: 2,
  graph: 3,
  vgg: 4,
  optim: 5,
  flow: 6,
  style: 7,
  plan: 8,
  io: 9,
  video: 10,
  node: 11,
  web: 11,
  batch: 12,
  cli: 13,
  '.': 14,
};
/** Folders that must also run in a browser. */
const CORE = ['util', 'gpu', 'kernels', 'graph', 'vgg', 'optim', 'flow', 'style', 'plan', 'io', 'video'];
/** Packages that only run in Node. */
const NODE_ONLY = /^(node:|webgpu$|h5wasm|tsx)/;

/** 'src/gpu/x.ts' → 'gpu'; a file directly in src → '.'. */
function layerOf(file: string): string {
  const parts = file.split('/');
  return parts.length === 2 ? '.' : parts[1]!;
}

/** Every breach of the rule in a tree of src files (paths 'src/...'), each as one line. */
export function violations(tree: SourceTree): string[] {
  const found: string[] = [];
  const known = new Set(tree.files);
  for (const file of tree.files) {
    const layer = layerOf(file);
    if (RANK[layer] === undefined) found.push(`${file} is in src/${layer}, which has no rank in test/layers.test.ts`);
    for (const spec of importsOf(tree.read(file))) {
      if (!spec.startsWith('.')) {
        if (CORE.includes(layer) && NODE_ONLY.test(spec)) found.push(`${file} (core) imports the Node-only ${spec}`);
        continue;
      }
      const target = layerOf(resolveImport(file, spec, known) ?? posix.join(posix.dirname(file), spec));
      if (target === '.' && layer !== '.') found.push(`${file} imports the package entry`);
      else if (RANK[target]! > RANK[layer]!) found.push(`${file} (${layer}) imports upward from ${target}: ${spec}`);
      else if (RANK[target] === RANK[layer] && target !== layer)
        found.push(`${file} (${layer}) imports its sibling edge ${target}: ${spec}`);
    }
  }
  for (const cycle of findCycles(importGraph(tree))) found.push(`import cycle: ${formatCycle(cycle)}`);
  return found;
}

const realTree = () => diskTree(REPO_ROOT, 'src');

describe('layers', () => {
  it('imports only go down, the core imports nothing Node-only, and no file imports itself through others', () => {
    expect(violations(realTree())).toEqual([]);
  });

  it('the check reports an upward import, a sibling edge, a Node module in the core and a cycle, and nothing on a clean tree', () => {
    const clean = {
      'src/index.ts': "export { stylize } from './node/run.js';\nexport type { Plan } from './plan/index.js';",
      'src/util/errors.ts': 'export class OptionError extends Error {}',
      'src/gpu/context.ts': "import { OptionError } from '../util/errors.js';\nimport type { Shape } from './tensor.js';",
      'src/gpu/tensor.ts': 'export type Shape = number[];',
      'src/kernels/gram.ts': "import type { Shape } from '../gpu/tensor.js';",
      'src/optim/adam.ts': "import { gram } from '../kernels/gram.js';",
      'src/style/job.ts': "import { adam } from '../optim/adam.js';\nimport '../gpu/context.js';",
      'src/plan/index.ts': "export * from './plan-job.js';",
      'src/plan/plan-job.ts': "import { job } from '../style/job.js';\nconst t: import('../gpu/tensor.js').Shape = [];",
      'src/io/image.ts': "import { plan } from '../plan/index.js';",
      'src/node/run.ts':
        "import { readFileSync } from 'node:fs';\nimport { image } from '../io/image.js';\nimport { requestAdapter } from 'webgpu';",
      'src/web/main.ts': "import { image } from '../io/image.js';",
      'src/cli/main.ts': "import { run } from '../node/run.js';",
    };
    expect(violations(memoryTree(clean))).toEqual([]);

    const broken = {
      ...clean,
      // style sits below plan; the optimisers must not know the style job.
      'src/style/job.ts': "import type { Plan } from '../plan/index.js';",
      'src/optim/adam.ts': "import { gram } from '../kernels/gram.js';\nimport type { Job } from '../style/job.js';",
      'src/web/main.ts':
        "import { image } from '../io/image.js';\nimport { run } from '../node/run.js';\nimport { stylize } from '../index.js';",
      // A new folder must be given its height.
      'src/album/pages.ts': "import { job } from '../style/job.js';",
      'src/plan/plan-job.ts': "import { readFileSync } from 'node:fs';",
      // A cycle within one folder, through a type-only import and a folder's index.
      'src/gpu/tensor.ts': "import type { GpuContext } from './context.js';",
      'src/gpu/index.ts': "export * from './context.js';",
      'src/gpu/pool.ts': "import { GpuContext } from './index.js';",
      'src/gpu/context.ts': "import { OptionError } from '../util/errors.js';\nimport type { BufferPool } from './pool.js';",
    };
    expect(violations(memoryTree(broken)).sort()).toEqual(
      [
        'src/optim/adam.ts (optim) imports upward from style: ../style/job.js',
        'src/style/job.ts (style) imports upward from plan: ../plan/index.js',
        'src/web/main.ts (web) imports its sibling edge node: ../node/run.js',
        'src/plan/plan-job.ts (core) imports the Node-only node:fs',
        'src/web/main.ts imports the package entry',
        'src/album/pages.ts is in src/album, which has no rank in test/layers.test.ts',
        'import cycle: src/gpu/context.ts → src/gpu/pool.ts → src/gpu/index.ts → src/gpu/context.ts',
      ].sort(),
    );
  });

  it('a planted cycle among the real files is reported as its chain of files', () => {
    const real = realTree();
    const graph = importGraph(real);
    const tangled = new Set(findCycles(graph).flat());
    // A real import a → b outside every cycle today, then b made to import a back.
    const [a, b] = [...graph]
      .flatMap(([from, targets]) => targets.map((to) => [from, to] as const))
      .find(([from, to]) => !tangled.has(from) && !tangled.has(to))!;
    const back = posix.relative(posix.dirname(b), a).replace(/\.ts$/, '.js');
    const planted: SourceTree = {
      files: real.files,
      read: (file) =>
        real.read(file) + (file === b ? `\nimport type { Planted } from '${back.startsWith('.') ? back : `./${back}`}';\n` : ''),
    };
    const ordered = a < b ? [a, b] : [b, a];
    expect(violations(planted)).toContain(`import cycle: ${formatCycle(ordered)}`);
    expect(findCycles(importGraph(planted))).toContainEqual(ordered);
  });

  it('cycles are found once each, whatever their length, and a file importing itself is one', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c', 'a']],
      ['c', ['a', 'd']],
      ['d', ['d']],
      ['e', ['a']],
    ]);
    expect(findCycles(graph)).toEqual([['a', 'b'], ['a', 'b', 'c'], ['d']]);
    expect(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('reads every way a file names another: imports, type-only imports, re-exports, side effects, import() types', () => {
    const source =
      "import { a } from '../node/x.js';\nexport { b } from './y.js';\nimport type {\n  C,\n} from 'node:fs';\nexport * from './z.js';\nimport './side.js';\ntype T = import('./t.js').T;";
    expect(importsOf(source).sort()).toEqual(['../node/x.js', './side.js', './t.js', './y.js', './z.js', 'node:fs'].sort());
    const known = new Set(['src/gpu/index.ts', 'src/gpu/tensor.ts', 'src/io/weights/keras.ts']);
    expect(resolveImport('src/kernels/gram.ts', '../gpu/tensor.js', known)).toBe('src/gpu/tensor.ts');
    expect(resolveImport('src/kernels/gram.ts', '../gpu/index.js', known)).toBe('src/gpu/index.ts');
    expect(resolveImport('src/kernels/gram.ts', '../gpu', known)).toBe('src/gpu/index.ts');
    expect(resolveImport('src/io/image.ts', './weights/keras.ts', known)).toBe('src/io/weights/keras.ts');
    expect(resolveImport('src/io/image.ts', 'webgpu', known)).toBeNull();
  });
});
