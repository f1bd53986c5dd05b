// Getting a device from any WebGPU implementation (a browser's navigator.gpu or Dawn in Node):
// a hardware adapter when there is one, the adapter's real limits instead of the defaults,
// and timestamp queries when available.

import { summarize } from './adapter.js';
import { GpuContext } from './context.js';
import { NoAdapterError } from './errors.js';
import type { ShaderSources } from './shaders.js';

export interface ContextOptions {
  shaders: ShaderSources;
  powerPreference?: GPUPowerPreference;
  /** Words for the error when no adapter exists: which backends or adapters were tried. */
  tried?: string;
}

/** Limits we raise to the adapter's maximum; the WebGPU defaults (128 MiB bindings) are too small for big images. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxStorageBuffersPerShaderStage',
] as const;

const OPTIONAL_FEATURES: GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups'];

export async function createContext(gpu: GPU, options: ContextOptions): Promise<GpuContext> {
  return createContextOn(await requestAdapter(gpu, options), options);
}

/** The adapter `gpu` offers, preferring a hardware one; NoAdapterError when there is none. */
export async function requestAdapter(gpu: GPU, options: Pick<ContextOptions, 'powerPreference' | 'tried'> = {}): Promise<GPUAdapter> {
  const tried = options.tried ?? 'the default backends';
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  } catch (err) {
    throw new NoAdapterError(tried, (err as Error).message);
  }
  if (!adapter) throw new NoAdapterError(tried);
  return adapter;
}

/** A device on `adapter` with its real limits (RAISED_LIMITS) and the optional features it has. */
export async function createContextOn(adapter: GPUAdapter, options: Pick<ContextOptions, 'shaders'>): Promise<GpuContext> {
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ label: 'wgpu-style', requiredLimits, requiredFeatures });
  return new GpuContext(device, summarize(adapter), options.shaders);
}
