// The device and everything kernels need from it: tensor allocation from a pool, cached
// pipelines, one command encoder that collects dispatches until the next submit, readback,
// and each piece of work run in error scopes (error-scopes.ts) so failures name their kernel.

import type { AdapterSummary } from './adapter.js';
import { BindGroupCache } from './bind-groups.js';
import { ErrorScopes } from './error-scopes.js';
import { GpuError, TensorTooLargeError } from './errors.js';
import { PipelineCache, type Overrides } from './pipelines.js';
import { BufferPool, type PoolStats } from './pool.js';
import { Profiler, type KernelTiming } from './profiler.js';
import type { ShaderName, ShaderParams } from './shader-names.js';
import { ShaderLibrary, type ShaderSources, type WorkgroupSize } from './shaders.js';
import { DeviceTensor, formatShape, shapeSize, type Shape } from './tensor.js';
import { UniformCache } from './uniforms.js';

export interface Dispatch<K extends ShaderName = ShaderName> {
  /** Shader name in shaders/ (without .wgsl). */
  kernel: K;
  /** Kernel and shapes, used in error messages and timings. */
  label: string;
  /** The fields of the shader's `struct Params` (binding 0) by name; omit for kernels without one. */
  params?: ShaderParams[K];
  /** Storage buffers (or ranges of them: GpuContext.range), bound in order after the params. */
  buffers: ReadonlyArray<GPUBuffer | GPUBufferBinding>;
  workgroups: readonly [number, number?, number?];
  overrides?: Overrides;
  /** A text variant of the shader (see ShaderLibrary.get). */
  consts?: Overrides;
}

export class GpuContext {
  readonly pipelines: PipelineCache;
  readonly profiler: Profiler;
  /** The adapter's maxStorageBufferBindingSize: the most bytes one kernel binding may see. */
  readonly maxBindingBytes: number;
  /** The adapter's maxBufferSize: the most bytes one tensor may hold (kernels bind it band by band). */
  readonly maxBufferBytes: number;
  /** Binding offsets are multiples of this many f32 elements (minStorageBufferOffsetAlignment / 4). */
  readonly bindingAlignment: number;
  readonly maxWorkgroupsPerDimension: number;
  /** Shaders may use subgroup operations across at least 8 invocations (conv3x3_forward_subgroup). */
  readonly subgroupsOf8: boolean;
  /** Dispatches per kernel since the context was made (tests use it to prove work is skipped). */
  readonly dispatchCounts = new Map<string, number>();
  private readonly storage: BufferPool;
  private readonly staging: BufferPool;
  private readonly uniforms: UniformCache;
  private readonly shaderLibrary: ShaderLibrary;
  private readonly errors: ErrorScopes;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly constants = new Map<number, GPUBuffer>();
  private readonly bindGroups: BindGroupCache;
  private placeholderBuffer: GPUBuffer | null = null;
  private destroyed = false;
  private bindingCap = Infinity;

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterSummary,
    shaders: ShaderSources,
  ) {
    this.shaderLibrary = new ShaderLibrary(shaders);
    this.pipelines = new PipelineCache(device, this.shaderLibrary);
    this.profiler = new Profiler(device, device.features.has('timestamp-query'));
    this.maxBindingBytes = device.limits.maxStorageBufferBindingSize;
    this.maxBufferBytes = device.limits.maxBufferSize;
    this.bindingAlignment = device.limits.minStorageBufferOffsetAlignment / 4;
    this.maxWorkgroupsPerDimension = device.limits.maxComputeWorkgroupsPerDimension;
    this.subgroupsOf8 = device.features.has('subgroups') && adapter.subgroupMinSize >= 8;
    const copy = GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.storage = new BufferPool(device, GPUBufferUsage.STORAGE | copy, 'tensor');
    this.staging = new BufferPool(device, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, 'readback');
    this.bindGroups = new BindGroupCache(device);
    this.uniforms = new UniformCache(device, () => this.bindGroups.clear());
    this.errors = new ErrorScopes(device);
  }

  // ---- tensors ----

  /**
   * The most bytes a kernel binds at once: the adapter's binding limit, or less where a test caps it
   * (capBinding) to drive the banded paths (src/kernels/band.ts) with tiny tensors.
   */
  get bindingBytes(): number {
    // A multiple of 16, as the pool rounds buffers: a tensor of at most this many bytes binds whole.
    return Math.floor(Math.min(this.maxBindingBytes, this.bindingCap) / 16) * 16;
  }

  /** Test-only: pretend bindings hold at most `bytes` (a multiple of 16); null lifts the cap. */
  capBinding(bytes: number | null): void {
    if (bytes !== null && (!Number.isInteger(bytes) || bytes < 16 || bytes % 16 !== 0))
      throw new Error(`capBinding: ${bytes} is not a positive multiple of 16 bytes (buffers are rounded up to 16)`);
    this.bindingCap = bytes ?? Infinity;
    this.bindGroups.clear(); // their bindings were checked against the old limit
  }

  /** A tensor with undefined contents (from the pool). It may be larger than one binding. */
  empty(shape: Shape, label = 'tensor'): DeviceTensor {
    const bytes = shapeSize(shape) * 4;
    if (bytes > this.maxBufferBytes) throw new TensorTooLargeError(shape, bytes, this.maxBufferBytes, label);
    const buffer = this.errors.run(`allocating ${label} ${formatShape(shape)}`, () => this.storage.acquire(bytes));
    return new DeviceTensor(this, shape, buffer);
  }

  zeros(shape: Shape, label = 'zeros'): DeviceTensor {
    const tensor = this.empty(shape, label);
    this.commandEncoder().clearBuffer(tensor.buffer);
    return tensor;
  }

  upload(shape: Shape, data: ArrayLike<number>, label = 'upload'): DeviceTensor {
    const size = shapeSize(shape);
    if (data.length !== size) {
      throw new Error(`${label}: shape ${formatShape(shape)} holds ${size} values but ${data.length} were given`);
    }
    const tensor = this.empty(shape, label);
    this.write(tensor, data);
    return tensor;
  }

  /** Overwrites a tensor's contents, in order with the work recorded so far. */
  write(tensor: DeviceTensor, data: ArrayLike<number>): void {
    if (data.length !== tensor.size) throw new Error(`write: ${tensor} holds ${tensor.size} values, got ${data.length}`);
    // Recorded work must run before the write lands, so submit it first (queue order).
    this.submit();
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    this.device.queue.writeBuffer(tensor.buffer, 0, values.buffer, values.byteOffset, values.byteLength);
  }

  /**
   * A one-element tensor holding `value`, copied from a constant buffer kept per value: unlike
   * upload it records no write, so the work recorded so far need not be submitted first.
   */
  scalar(value: number, label = 'scalar'): DeviceTensor {
    let source = this.constants.get(value);
    if (!source) {
      source = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true, label: `constant ${value}` });
      new Float32Array(source.getMappedRange()).fill(value);
      source.unmap();
      this.constants.set(value, source);
    }
    const tensor = this.empty([1], label);
    this.commandEncoder().copyBufferToBuffer(source, 0, tensor.buffer, 0, 4);
    return tensor;
  }

  copy(source: DeviceTensor, label = 'copy'): DeviceTensor {
    const tensor = this.empty(source.shape, label);
    this.commandEncoder().copyBufferToBuffer(source.buffer, 0, tensor.buffer, 0, source.bytes);
    return tensor;
  }

  /** Copies all of `source` into `target` starting at element `offset`, in order with recorded work. */
  copyInto(source: DeviceTensor, target: DeviceTensor, offset = 0): void {
    if (offset + source.size > target.size) throw new Error(`copyInto: ${source} does not fit in ${target} at offset ${offset}`);
    this.commandEncoder().copyBufferToBuffer(source.buffer, 0, target.buffer, offset * 4, source.bytes);
  }

  /** Copies `count` elements of `source` from element `from` into `target` at element `to`, in order with recorded work. */
  copyElements(source: DeviceTensor, from: number, target: DeviceTensor, to: number, count: number): void {
    if (from < 0 || to < 0 || from + count > source.size || to + count > target.size)
      throw new Error(`copyElements: ${count} values from ${source} at ${from} into ${target} at ${to} run past an end`);
    if (count > 0) this.commandEncoder().copyBufferToBuffer(source.buffer, from * 4, target.buffer, to * 4, count * 4);
  }

  /**
   * A binding of `count` elements of `t` from element `offset` (a multiple of bindingAlignment):
   * how an elementwise kernel sees one chunk of a tensor larger than one binding.
   */
  range(t: DeviceTensor, offset: number, count: number): GPUBufferBinding {
    if (offset % this.bindingAlignment !== 0)
      throw new Error(`range: offset ${offset} of ${t} is not a multiple of ${this.bindingAlignment} elements`);
    if (offset < 0 || count <= 0 || offset + count > t.size) throw new Error(`range: [${offset}, ${offset + count}) is outside ${t}`);
    return { buffer: t.buffer, offset: offset * 4, size: count * 4 };
  }

  /** Submits recorded work, waits for it and returns the tensor's values. */
  async read(tensor: DeviceTensor): Promise<Float32Array> {
    const bytes = tensor.bytes;
    const staging = this.staging.acquire(bytes);
    this.commandEncoder().copyBufferToBuffer(tensor.buffer, 0, staging, 0, bytes);
    this.submit();
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, staging.size);
    } catch (err) {
      await this.checkErrors();
      throw new GpuError(`reading ${tensor} back failed: ${(err as Error).message}`);
    }
    const values = new Float32Array(staging.getMappedRange(0, staging.size).slice(0, bytes));
    staging.unmap();
    this.staging.release(staging);
    await this.checkErrors();
    return values;
  }

  releaseBuffer(buffer: GPUBuffer): void {
    this.storage.release(buffer);
  }

  memory(): PoolStats {
    return this.storage.stats();
  }

  /**
   * Holds the tensors' device memory (live and pooled) to `bytes` where it can: pooled buffers are
   * destroyed before a new buffer would pass it (the memory plan keeps the live bytes under it).
   */
  limitMemory(bytes: number): void {
    // After destroying, an empty submission: their memory is freed once the queue has run it (the
    // work before them) and Dawn ticks, not once the kernels recorded next have run.
    const fence = () => this.device.queue.submit([this.device.createCommandEncoder().finish()]);
    this.storage.limit(bytes, () => this.submit(), fence);
  }

  /** Frees the pooled (unused) buffers and restarts the peak from the live bytes, to measure one job. */
  resetMemoryPeak(): void {
    this.submit();
    this.storage.trim();
    this.storage.resetPeak();
  }

  /** A 16-byte buffer for bindings a specialization does not use (WGSL still declares them). */
  get placeholder(): GPUBuffer {
    this.placeholderBuffer ??= this.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE, label: 'placeholder' });
    return this.placeholderBuffer;
  }

  // ---- dispatch and submission ----

  /** The kernel's workgroup size, as its WGSL (specialised by `consts`) declares it. */
  workgroupSize(kernel: ShaderName, consts: Overrides = {}): WorkgroupSize {
    return this.shaderLibrary.workgroupSize(kernel, consts);
  }

  dispatch<K extends ShaderName>(d: Dispatch<K>): void {
    const [x, y = 1, z = 1] = d.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    this.dispatchCounts.set(d.kernel, (this.dispatchCounts.get(d.kernel) ?? 0) + 1);
    const max = this.maxWorkgroupsPerDimension;
    if (x > max || y > max || z > max) {
      throw new GpuError(`${d.label}: dispatch of ${x}×${y}×${z} workgroups exceeds ${max} per dimension`);
    }
    const params = this.shaderLibrary.packParams(d.kernel, d.params);
    const timestampWrites = this.profiler.passWrites(d.kernel, d.label);
    // Error scopes cost more than recording a dispatch, so only what can fail runs in one (errors
    // then name d.label): compiling a pipeline, making a bind group, a profiled pass. A pipeline
    // and bind group that were used together before cannot raise a new validation error; what the
    // queue rejects at submit is caught by submit's own scope.
    if (timestampWrites || !this.pipelines.has(d.kernel, d.overrides, d.consts))
      this.errors.run(d.label, () => this.record(d, [x, y, z], params, timestampWrites));
    else this.record(d, [x, y, z], params, undefined);
  }

  private record(
    d: Dispatch,
    workgroups: [number, number, number],
    params: Uint8Array | null,
    timestampWrites?: GPUComputePassTimestampWrites,
  ): void {
    const pipeline = this.pipelines.get(d.kernel, d.overrides, d.consts);
    const paramsKey = params ? this.uniforms.key(params) : '';
    const key = this.bindGroups.key(pipeline, paramsKey, d.buffers);
    let bindGroup = this.bindGroups.find(key);
    if (bindGroup) this.uniforms.touch(paramsKey);
    else bindGroup = this.errors.run(d.label, () => this.bindGroups.create(key, this.describeBindGroup(d, pipeline, params, paramsKey)));
    // A profiled dispatch gets a pass of its own (timestamps are written per pass). Otherwise the
    // dispatches up to the next copy or submit share one pass: WebGPU still orders them as separate
    // dispatches, each seeing the storage writes of those before it.
    const pass = timestampWrites ? this.commandEncoder().beginComputePass({ label: d.label, timestampWrites }) : this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...workgroups);
    if (timestampWrites) pass.end();
  }

  private describeBindGroup(
    d: Dispatch,
    pipeline: GPUComputePipeline,
    params: Uint8Array | null,
    paramsKey: string,
  ): GPUBindGroupDescriptor {
    const entries: GPUBindGroupEntry[] = [];
    if (params) entries.push({ binding: 0, resource: { buffer: this.uniforms.get(params, paramsKey) } });
    d.buffers.forEach((b, i) => {
      const bytes = 'buffer' in b ? (b.size ?? b.buffer.size - (b.offset ?? 0)) : b.size;
      if (bytes > this.bindingBytes)
        throw new GpuError(`${d.label}: binding ${i + 1} holds ${bytes} bytes, over the ${this.bindingBytes}-byte binding limit`);
      entries.push({ binding: i + 1, resource: 'buffer' in b ? b : { buffer: b } });
    });
    return { label: d.label, layout: this.pipelines.layout(pipeline), entries };
  }

  /** Bind groups made so far (a repeated step makes none: tests check the cache). */
  get bindGroupsMade(): number {
    return this.bindGroups.made;
  }

  /** Sends the recorded work to the GPU without waiting. */
  submit(): void {
    if (!this.encoder) return;
    this.endPass();
    const encoder = this.encoder;
    this.encoder = null;
    this.errors.run('submitting recorded kernels', () => this.device.queue.submit([encoder.finish()]));
    this.uniforms.afterSubmit();
  }

  /** Submits and waits until the GPU has finished; throws the first error any kernel raised. */
  async sync(): Promise<void> {
    this.submit();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  startProfiling(): void {
    this.submit();
    this.profiler.start();
  }

  async stopProfiling(): Promise<KernelTiming[]> {
    const resolveBytes = 2048 * 2 * 8;
    const resolve = this.device.createBuffer({ size: resolveBytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const entries = this.profiler.stop(this.commandEncoder(), resolve);
    const staging = this.staging.acquire(resolveBytes);
    this.commandEncoder().copyBufferToBuffer(resolve, 0, staging, 0, resolveBytes);
    this.submit();
    await staging.mapAsync(GPUMapMode.READ);
    const stamps = new BigUint64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    this.staging.release(staging);
    resolve.destroy();
    await this.checkErrors();
    return Profiler.timings(entries, stamps);
  }

  /** Throws the first validation or out-of-memory error raised by the work recorded so far. */
  checkErrors(): Promise<void> {
    return this.errors.check();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.encoder = null;
    this.pass = null;
    this.bindGroups.clear();
    this.storage.trim();
    this.staging.trim();
    this.device.destroy();
  }

  /** The command encoder with no compute pass open (copies, clears and timestamps go outside passes). */
  private commandEncoder(): GPUCommandEncoder {
    if (this.destroyed) throw new GpuError('the GPU context was destroyed');
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder({ label: 'wgpu-style' });
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    this.pass ??= this.commandEncoder().beginComputePass({ label: 'kernels' });
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }
}
