// WGSL sources by name ("relu_forward", "lib/grid"), with `#include "lib/x"` lines inlined.
// The core never reads files: the edge that creates the context hands it the sources
// (src/node/shaders.ts reads shaders/ from disk; a browser bundle imports them as text).

export type ShaderSources = Readonly<Record<string, string>>;

const INCLUDE = /^\s*#include\s+"([^"]+)"\s*$/;

export class ShaderLibrary {
  private readonly resolved = new Map<string, string>();

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

export function constsKey(consts: Readonly<Record<string, number>>): string {
  return Object.entries(consts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
