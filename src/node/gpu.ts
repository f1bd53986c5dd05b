// The Node edge of the GPU runtime: Dawn's bindings from the `webgpu` package.
// Choose a backend or adapter with options or WGPU_STYLE_BACKEND / WGPU_STYLE_ADAPTER.

import { setPriority } from 'node:os';
import { create, globals } from 'webgpu';
import { createContext, type GpuContext } from '../gpu/index.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadShaders } from './shaders.js';
import { cacheDir, writeFileAtomic } from './weights-files.js';

export interface NodeGpuOptions {
  /** Dawn backend: 'vulkan', 'metal', 'd3d12', 'opengl', 'opengles', 'null'. */
  backend?: string;
  /** Substring of the adapter name (see `wgpu-style info --adapters`). */
  adapter?: string;
  powerPreference?: GPUPowerPreference;
}

// Dawn's instance must outlive every await on it: if it is garbage-collected, the next
// mapAsync or onSubmittedWorkDone crashes the process. Keep each one referenced here.
const liveInstances = new Set<GPU>();
let globalsInstalled = false;

export async function createNodeContext(options: NodeGpuOptions = {}): Promise<GpuContext> {
  if (!globalsInstalled) {
    Object.assign(globalThis, globals);
    globalsInstalled = true;
  }
  const backend = options.backend ?? process.env.WGPU_STYLE_BACKEND;
  const adapter = options.adapter ?? process.env.WGPU_STYLE_ADAPTER;
  const flags: string[] = [];
  if (backend) flags.push(`backend=${backend}`);
  if (adapter) flags.push(`adapter=${adapter}`);
  const gpu = create(flags) as GPU;
  liveInstances.add(gpu);
  const tried = [
    backend ? `backend ${backend}` : `Dawn's default backend for ${process.platform} (${defaultBackend()})`,
    adapter ? `adapter matching "${adapter}"` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const ctx = await createContext(gpu, { shaders: loadShaders(), powerPreference: options.powerPreference, tried });
  attachTuningFile(ctx);
  // While a Dawn promise is pending the main thread spins; on a software adapter that steals a
  // core from the driver's worker threads (already created, so they keep their priority).
  try {
    setPriority(0, 19);
  } catch {
    // Not permitted everywhere; only costs speed.
  }
  return ctx;
}

/**
 * Autotuning choices persist in <cache>/autotune.json, one section per adapter, so the variants
 * are measured once per machine. An unreadable file is ignored (and rewritten).
 */
function attachTuningFile(ctx: GpuContext): void {
  const file = join(cacheDir(), 'autotune.json');
  const adapterKey = `${ctx.adapter.vendor}|${ctx.adapter.architecture}|${ctx.adapter.description}`;
  const readAll = (): Record<string, Record<string, string>> => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
    } catch {
      return {};
    }
  };
  for (const [key, variant] of Object.entries(readAll()[adapterKey] ?? {})) ctx.tuning.set(key, variant);
  ctx.tuningStore = {
    load: () => readAll()[adapterKey] ?? {},
    save: (choices) => {
      try {
        writeFileAtomic(file, new TextEncoder().encode(JSON.stringify({ ...readAll(), [adapterKey]: choices }, null, 1)));
      } catch {
        // A read-only cache only costs re-tuning next time.
      }
    },
  };
}

/** Destroys the device and lets the process exit (Dawn keeps it alive while referenced). */
export function closeNodeContext(ctx: GpuContext): void {
  ctx.destroy();
}

/** Lets Node exit once no contexts are in use: drops the Dawn instances. */
export function releaseDawn(): void {
  liveInstances.clear();
}

function defaultBackend(): string {
  if (process.platform === 'darwin') return 'Metal';
  if (process.platform === 'win32') return 'D3D12, Vulkan';
  return 'Vulkan';
}
