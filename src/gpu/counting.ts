// A GpuContext on a device that allocates nothing and runs nothing, for knowing what a computation
// would allocate before any work (PyTorch's meta tensors, JAX's eval_shape): its buffers are size
// only, pipelines, bind groups, encoders and the queue do nothing, and the context's own buffer
// pool (pool.ts) counts every tensor's bytes, its lifetime and the peak, as on a real device.
// Kernels run their launchers unchanged on it: their shapes, bands, scratch and releases are the
// real ones. Values are never there: reading one back throws.

import type { AdapterSummary } from './adapter.js';
import { GpuContext, type Dispatch } from './context.js';
import { WORKGROUP_SIZES, type ShaderName } from './shader-names.js';
import type { WorkgroupSize } from './shaders.js';
import type { DeviceTensor } from './tensor.js';

/** What the counting device reports of itself: the limits and features that decide the kernels' paths. */
export interface CountingLimits {
  /** maxStorageBufferBindingSize: tensors past it run band by band (src/kernels/band.ts). */
  bindingBytes: number;
  /** Subgroups of at least 8 invocations (the subgroup kernels and their scratch). */
  subgroups: boolean;
  /** maxBufferSize (default: no limit, the count goes on past any device's). */
  bufferBytes?: number;
}

const nothing = () => {};
/** WebGPU's default minStorageBufferOffsetAlignment and maxComputeWorkgroupsPerDimension. */
const DEFAULT_LIMITS = { minStorageBufferOffsetAlignment: 256, maxComputeWorkgroupsPerDimension: 65535 };

function countingDevice(limits: CountingLimits): GPUDevice {
  const pass = { setPipeline: nothing, setBindGroup: nothing, dispatchWorkgroups: nothing, end: nothing };
  const encoder = {
    clearBuffer: nothing,
    copyBufferToBuffer: nothing,
    beginComputePass: () => pass,
    finish: () => ({}),
  };
  const noError = Promise.resolve(null);
  const device = {
    features: new Set<string>(limits.subgroups ? ['subgroups'] : []),
    limits: {
      ...DEFAULT_LIMITS,
      maxStorageBufferBindingSize: limits.bindingBytes,
      maxBufferSize: limits.bufferBytes ?? Infinity,
    },
    queue: { writeBuffer: nothing, submit: nothing, onSubmittedWorkDone: () => Promise.resolve() },
    createBuffer: ({ size }: { size: number }) => ({ size, destroy: nothing }),
    createCommandEncoder: () => encoder,
    createQuerySet: () => ({ destroy: nothing }),
    pushErrorScope: nothing,
    popErrorScope: () => noError,
    addEventListener: nothing,
    destroy: nothing,
  };
  return device as unknown as GPUDevice;
}

const ADAPTER: Omit<AdapterSummary, 'features' | 'subgroupMinSize'> = {
  vendor: 'wgpu-style',
  architecture: 'counting',
  device: 'counting device',
  description: 'a device that counts buffers and runs nothing',
  isFallbackAdapter: false,
};

class CountingContext extends GpuContext {
  private readonly spare = { size: 16, destroy: nothing } as unknown as GPUBuffer;

  override dispatch<K extends ShaderName>(d: Dispatch<K>): void {
    this.dispatchCounts.set(d.kernel, (this.dispatchCounts.get(d.kernel) ?? 0) + 1);
  }

  /** The size shaders/ declares (the generated WORKGROUP_SIZES), specialised by `consts` as ShaderLibrary does. */
  override workgroupSize(kernel: ShaderName, consts: Readonly<Record<string, number>> = {}): WorkgroupSize {
    const [x, y, z] = WORKGROUP_SIZES[kernel].map((d) => (typeof d === 'number' ? d : (consts[d[0]] ?? d[1])));
    return [x!, y!, z!];
  }

  override write(tensor: DeviceTensor, data: ArrayLike<number>): void {
    if (data.length !== tensor.size) throw new Error(`write: ${tensor} holds ${tensor.size} values, got ${data.length}`);
  }

  override read(tensor: DeviceTensor): Promise<Float32Array> {
    return Promise.reject(new Error(`${tensor} has no values: a counting device only counts buffers`));
  }

  override get placeholder(): GPUBuffer {
    return this.spare;
  }
}

/**
 * A context whose device only counts: its pool's memory() says what the work run on it allocated
 * (liveBytes, peakLiveBytes). Nothing it makes holds values.
 */
export function countingContext(limits: CountingLimits): GpuContext {
  const adapter = { ...ADAPTER, features: limits.subgroups ? ['subgroups'] : [], subgroupMinSize: limits.subgroups ? 8 : 0 };
  // The constructor reads WebGPU's buffer usage flags, a global Node has only once its edge has
  // installed WebGPU's; the counting device ignores them, so any values serve where they are absent.
  const scope = globalThis as { GPUBufferUsage?: unknown };
  const lent = scope.GPUBufferUsage === undefined;
  if (lent) scope.GPUBufferUsage = { MAP_READ: 1, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 };
  try {
    return new CountingContext(countingDevice(limits), adapter, {});
  } finally {
    if (lent) delete scope.GPUBufferUsage;
  }
}
