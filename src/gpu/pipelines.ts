// Compute pipelines compiled once per process, keyed by shader name and specialization
// (override constants). Shader modules are shared between specializations.

import type { ShaderLibrary } from './shaders.js';

export type Overrides = Readonly<Record<string, number>>;

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(
    private readonly device: GPUDevice,
    private readonly shaders: ShaderLibrary,
  ) {}

  get(kernel: string, overrides: Overrides = {}): GPUComputePipeline {
    const key = `${kernel}|${Object.entries(overrides)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module: this.module(kernel), entryPoint: 'main', constants: { ...overrides } },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  get size(): number {
    return this.pipelines.size;
  }

  private module(kernel: string): GPUShaderModule {
    let module = this.modules.get(kernel);
    if (!module) {
      module = this.device.createShaderModule({ label: kernel, code: this.shaders.get(kernel) });
      this.modules.set(kernel, module);
    }
    return module;
  }
}
