// Writes src/gpu/shader-names.ts from shaders/: the kernel names (shaders/*.wgsl; shaders/lib
// holds pieces, not kernels) as a union type, each kernel's `struct Params` fields as a
// TypeScript type and its workgroup size, so that a misspelt kernel or parameter fails tsc. Run it after adding,
// removing or renaming a shader or a Params field (test/shader-params.test.ts fails while the
// file is stale):
//   npx tsx scripts/gen-shader-names.ts

import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShaderLibrary } from '../src/gpu/shaders.js';
import { loadShaders, SHADER_DIR } from '../src/node/shaders.js';

export const SHADER_NAMES_FILE = join(SHADER_DIR, '..', 'src', 'gpu', 'shader-names.ts');

/** The kernels in `dir`, sorted: each top-level .wgsl file without its extension. */
export function kernelNames(dir = SHADER_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.wgsl'))
    .map((entry) => entry.name.slice(0, -'.wgsl'.length))
    .sort();
}

/** `{ n: number; perm: Vec4 }` for a kernel's Params; `never` for a kernel without one. */
function paramsType(library: ShaderLibrary, name: string): string {
  const layout = library.params(name);
  if (!layout) return 'never';
  return `{ ${layout.fields.map((f) => `${f.name}: ${f.count === 1 ? 'number' : `Vec${f.count}`}`).join('; ')} }`;
}

/**
 * A kernel's `@workgroup_size` as a literal: a number per dimension fixed in its text, or
 * ['NAME', value] for one given by a `const` (its value unless a variant specialises NAME).
 */
function workgroupLiteral(library: ShaderLibrary, name: string): string {
  const size = library.workgroupSize(name);
  const args = library.workgroupArgs(name);
  return `[${size.map((d, i) => (args[i] === undefined || /^\d+[ui]?$/.test(args[i]!) ? `${d}` : `['${args[i]}', ${d}]`)).join(', ')}]`;
}

/** `type Vec4 = readonly [number, number, number, number];` for each vector size the types use. */
function vectorTypes(types: readonly string[]): string[] {
  const sizes = [2, 3, 4].filter((n) => types.some((t) => t.includes(`Vec${n}`)));
  return sizes.map((n) => `type Vec${n} = readonly [${Array(n).fill('number').join(', ')}];`).concat(sizes.length ? [''] : []);
}

/** The text of src/gpu/shader-names.ts for the shaders in `dir`. */
export function shaderNamesSource(dir = SHADER_DIR): string {
  const names = kernelNames(dir);
  const library = new ShaderLibrary(loadShaders(dir));
  const params = names.map((name) => paramsType(library, name));
  return [
    '// Generated from shaders/ by scripts/gen-shader-names.ts; do not edit.',
    '',
    'export const SHADER_NAMES = [',
    ...names.map((name) => `  '${name}',`),
    '] as const;',
    '',
    '/** A kernel: a shader in shaders/ (the file name without .wgsl). */',
    'export type ShaderName = (typeof SHADER_NAMES)[number];',
    '',
    ...vectorTypes(params),
    "/** Each kernel's `struct Params` fields by name: a number per scalar, a tuple per vector. */",
    'export interface ShaderParams {',
    ...names.map((name, i) => `  ${name}: ${params[i]};`),
    '}',
    '',
    '/**',
    " * Each kernel's @workgroup_size: a number per dimension fixed in its WGSL, or [name, value] for",
    " * one given by a `const` (value unless a variant's consts specialise it). ShaderLibrary reads",
    ' * the same from the text; this copy serves contexts without shader sources (src/gpu/counting.ts).',
    ' */',
    'export const WORKGROUP_SIZES: { readonly [K in ShaderName]: readonly [WorkgroupDim, WorkgroupDim, WorkgroupDim] } = {',
    ...names.map((name) => `  ${name}: ${workgroupLiteral(library, name)},`),
    '};',
    '',
    'export type WorkgroupDim = number | readonly [string, number];',
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SHADER_NAMES_FILE, shaderNamesSource());
  console.log(`wrote ${SHADER_NAMES_FILE}`);
}
