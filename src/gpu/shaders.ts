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

  /** The shader's full WGSL text, each include inlined once. */
  get(name: string): string {
    let text = this.resolved.get(name);
    if (text === undefined) {
      text = this.expand(name, new Set(), []);
      this.resolved.set(name, text);
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
