// Reads every shaders/**/*.wgsl into a name -> source map ("lib/grid", "relu_forward").

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ShaderSources } from '../gpu/index.js';

export const SHADER_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shaders');

export function loadShaders(dir = SHADER_DIR): ShaderSources {
  const sources: Record<string, string> = {};
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.wgsl')) {
        const name = relative(dir, path).slice(0, -'.wgsl'.length).split(sep).join('/');
        sources[name] = readFileSync(path, 'utf8');
      }
    }
  };
  walk(dir);
  return sources;
}
