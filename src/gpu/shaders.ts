// WGSL sources by name ("relu_forward", "lib/grid"), with `#include "lib/x"` lines inlined, and
// the facts launchers read from them: the `Params` layout and the workgroup size.
// The core never reads files: the edge that creates the context hands it the sources
// (src/node/shaders.ts reads shaders/ from disk; a browser bundle imports them as text).

import { ParamsLayout, type ParamValues } from './params.js';

export type { ParamValues };

export type ShaderSources = Readonly<Record<string, string>>;
export type WorkgroupSize = readonly [number, number, number];

const INCLUDE = /^\s*#include\s+"([^"]+)"\s*$/;
const WORKGROUP_SIZE = /@workgroup_size\(([^)]*)\)/;

export class ShaderLibrary {
  private readonly resolved = new Map<string, string>();
  private readonly layouts = new Map<string, ParamsLayout | null>();
  private readonly sizes = new Map<string, WorkgroupSize>();

  constructor(private readonly sources: ShaderSources) {}

  has(name: string): boolean {
    return name in this.sources;
  }

  /**
   * The shader's full WGSL text, each include inlined once. `consts` replaces the values of
   * `const NAME: u32 = ...u;` declarations (for variants that change array sizes, which override
   * constants cannot).
   */
  get(name: string, consts: Readonly<Record<string, number>> = {}): string {
    const key = `${name}|${constsKey(consts)}`;
    let text = this.resolved.get(key);
    if (text === undefined) {
      text = this.expand(name, new Set(), []);
      for (const [constName, value] of Object.entries(consts)) {
        const pattern = new RegExp(`const ${constName}: u32 = \\d+u;`);
        if (!pattern.test(text)) throw new Error(`shader "${name}" has no "const ${constName}: u32 = ...u;" to specialise`);
        text = text.replace(pattern, `const ${constName}: u32 = ${value}u;`);
      }
      this.resolved.set(key, text);
    }
    return text;
  }

  /** The layout of the shader's `struct Params`; null when it declares none. */
  params(name: string): ParamsLayout | null {
    let layout = this.layouts.get(name);
    if (layout === undefined) {
      layout = ParamsLayout.parse(name, this.get(name));
      this.layouts.set(name, layout);
    }
    return layout;
  }

  /** The shader's `Params` uniform holding `values`; null for a shader without one. */
  packParams(name: string, values: ParamValues | undefined): Uint8Array | null {
    const layout = this.params(name);
    if (layout) return layout.pack(values ?? {});
    if (values)
      throw new Error(`shader "${name}" declares no struct Params, yet parameters were passed: ${Object.keys(values).join(', ')}`);
    return null;
  }

  /**
   * The shader's `@workgroup_size(x, y, z)` (missing dimensions are 1), each a number or the name
   * of a `const`, read from the text specialised by `consts`.
   */
  workgroupSize(name: string, consts: Readonly<Record<string, number>> = {}): WorkgroupSize {
    const key = `${name}|${constsKey(consts)}`;
    let size = this.sizes.get(key);
    if (size === undefined) {
      const text = this.get(name, consts);
      const dims = this.workgroupArgs(name).map((arg) => constValue(name, text, arg));
      size = [dims[0] ?? 1, dims[1] ?? 1, dims[2] ?? 1];
      this.sizes.set(key, size);
    }
    return size;
  }

  /** The arguments of the shader's `@workgroup_size(...)` as written: numbers or names of `const`s. */
  workgroupArgs(name: string): string[] {
    const match = WORKGROUP_SIZE.exec(this.get(name));
    if (!match) throw new Error(`shader "${name}" has no @workgroup_size(...) to read`);
    return match[1]!
      .split(',')
      .map((arg) => arg.trim())
      .filter(Boolean);
  }

  private expand(name: string, seen: Set<string>, stack: string[]): string {
    const source = this.sources[name];
    if (source === undefined) {
      const from = stack.length ? ` (included from ${stack.join(' -> ')})` : '';
      throw new Error(`shader "${name}" not found${from}; expected shaders/${name}.wgsl to exist and be loaded`);
    }
    seen.add(name);
    return source
      .split('\n')
      .map((line) => {
        const match = INCLUDE.exec(line);
        if (!match) return line;
        const dep = match[1]!;
        if (seen.has(dep)) return `// (${dep} already included)`;
        return this.expand(dep, seen, [...stack, name]);
      })
      .join('\n');
  }
}

/** `arg` as a number: an integer literal (`64`, `8u`) or the name of a `const` declared in `text`. */
function constValue(shader: string, text: string, arg: string): number {
  const literal = /^(\d+)[ui]?$/.exec(arg);
  if (literal) return Number(literal[1]);
  const declared = /^[A-Za-z_]\w*$/.test(arg) && new RegExp(`\\bconst\\s+${arg}\\s*(?::\\s*[ui]32\\s*)?=\\s*(\\d+)[ui]?\\s*;`).exec(text);
  if (!declared)
    throw new Error(`shader "${shader}": @workgroup_size uses "${arg}", which is neither a number nor a const with a number value`);
  return Number(declared[1]);
}

export function constsKey(consts: Readonly<Record<string, number>>): string {
  return Object.entries(consts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
