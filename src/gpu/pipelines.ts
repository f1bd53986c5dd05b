// Compute pipelines compiled once per process, keyed by shader name and specialization
// (override constants). Shader modules are shared between specializations.

import { constsKey, type ShaderLibrary } from './shaders.js';

export type Overrides = Readonly<Record<string, number>>;

export class PipelineCache {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly layouts = new WeakMap<GPUComputePipeline, GPUBindGroupLayout>();

  constructor(
    private readonly device: GPUDevice,
    private readonly shaders: ShaderLibrary,
  ) {}

  /** `consts` select a text variant of the shader; `overrides` specialise it through override constants. */
  get(kernel: string, overrides: Overrides = {}, consts: Overrides = {}): GPUComputePipeline {
    const key = `${kernel}|${constsKey(consts)}|${constsKey(overrides)}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline({
        label: key,
        layout: 'auto',
        compute: { module: this.module(kernel, consts), entryPoint: 'main', constants: { ...overrides } },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** The pipeline's bind group layout (getBindGroupLayout makes a new object on each call). */
  layout(pipeline: GPUComputePipeline): GPUBindGroupLayout {
    let layout = this.layouts.get(pipeline);
    if (!layout) {
      layout = pipeline.getBindGroupLayout(0);
      this.layouts.set(pipeline, layout);
    }
    return layout;
  }

  has(kernel: string, overrides: Overrides = {}, consts: Overrides = {}): boolean {
    return this.pipelines.has(`${kernel}|${constsKey(consts)}|${constsKey(overrides)}`);
  }

  get size(): number {
    return this.pipelines.size;
  }

  private module(kernel: string, consts: Overrides): GPUShaderModule {
    const key = `${kernel}|${constsKey(consts)}`;
    let module = this.modules.get(key);
    if (!module) {
      module = this.device.createShaderModule({ label: key, code: this.shaders.get(kernel, consts) });
      this.modules.set(key, module);
    }
    return module;
  }
}
