// A GpuContext on a device that allocates nothing and runs nothing, for knowing what a computation
// would allocate before any work (PyTorch's meta tensors, JAX's eval_shape): its buffers are size
// only, pipelines, bind groups, encoders and the queue do nothing, and the context's own buffer
// pool (pool.ts) counts every tensor's bytes, its lifetime and the peak, as on a real device.
// Kernels run their launchers unchanged on it: their shapes, bands, scratch and releases are the
// real ones. Values are never there: reading one back throws. A kernel's loop over chunks or
// bands that declares its repeats alike (forEachChunk, forEachDistinct) runs here once per kind of
// repeat, as JAX traces a scan's body once: a 16k px step's 10^5 Winograd chunks count in a few.

import type { AdapterSummary } from './adapter.js';
import { GpuContext, type Dispatch } from './context.js';
import { ErrorScopes } from './error-scopes.js';
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
  /** Run every repeat of a loop that declares them alike (tests: the count is the same without them). */
  everyRepeat?: boolean;
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

/** Error scopes for a device that raises no errors: the work runs outside any. */
const NO_ERROR_SCOPES: Pick<ErrorScopes, 'run' | 'check'> = { run: (_label, fn) => fn(), check: () => Promise.resolve() };

class CountingContext extends GpuContext {
  private readonly spare = { size: 16, destroy: nothing } as unknown as GPUBuffer;

  constructor(
    device: GPUDevice,
    adapter: AdapterSummary,
    readonly everyRepeat: boolean,
  ) {
    super(device, adapter, {});
    // GpuContext runs each allocation and dispatch in error scopes and keeps a promise per piece of
    // work until it is checked: a count makes 10^5 of them and never checks. Nothing here can fail.
    const self = this as unknown as { errors: unknown };
    if (!(self.errors instanceof ErrorScopes)) throw new Error('countingContext: GpuContext no longer keeps its error scopes in `errors`');
    self.errors = NO_ERROR_SCOPES;
  }

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

  override scalar(_value: number, label = 'scalar'): DeviceTensor {
    return this.empty([1], label);
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
    return new CountingContext(countingDevice(limits), adapter, limits.everyRepeat ?? false);
  } finally {
    if (lent) delete scope.GPUBufferUsage;
  }
}

/** Whether `ctx` counts and may skip repeats declared alike. */
function skipsRepeats(ctx: GpuContext): boolean {
  return ctx instanceof CountingContext && !ctx.everyRepeat;
}

/**
 * Runs `body(start, count)` over [0, total) in chunks of `chunk` (the last one shorter), in order:
 * a kernel's loop whose every chunk allocates only by `count` and releases all it allocates. A
 * counting context runs the first chunk and the shorter last one only (the others would allocate
 * the same: the count is exact); it throws where a chunk leaves a buffer live.
 */
export function forEachChunk(ctx: GpuContext, total: number, chunk: number, body: (start: number, count: number) => void): void {
  if (!skipsRepeats(ctx)) {
    for (let start = 0; start < total; start += chunk) body(start, Math.min(chunk, total - start));
    return;
  }
  const once = (start: number, count: number) => {
    const live = ctx.memory().liveBytes;
    body(start, count);
    if (ctx.memory().liveBytes !== live) throw new Error(`forEachChunk: a chunk left ${ctx.memory().liveBytes - live} bytes live`);
  };
  if (total <= 0) return;
  once(0, Math.min(chunk, total));
  const last = Math.floor((total - 1) / chunk) * chunk;
  if (last > 0 && total - last !== chunk) once(last, total - last);
}

/**
 * Runs `body` on each item in order: a kernel's loop (bands of rows) whose every item allocates
 * only by `key(item)` and by what the loop or the context holds when it starts (a sum the first
 * band makes and the others add to, a cache the first fills and the others find). A counting
 * context skips an item where an item of its key started from the same live bytes and left them
 * as they were: it would allocate the same, so the count is exact.
 */
export function forEachDistinct<T>(ctx: GpuContext, items: readonly T[], key: (item: T) => string, body: (item: T) => void): void {
  const skip = skipsRepeats(ctx);
  /** Per key, the live bytes from which one of its items ran and left them unchanged. */
  const steady = new Map<string, number>();
  for (const item of items) {
    if (!skip) {
      body(item);
      continue;
    }
    const k = key(item);
    const before = ctx.memory().liveBytes;
    if (steady.get(k) === before) continue;
    body(item);
    if (ctx.memory().liveBytes === before) steady.set(k, before);
  }
}
