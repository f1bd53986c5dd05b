export { describeAdapter, type AdapterSummary } from './adapter.js';
export { GpuContext, type Dispatch } from './context.js';
export { createContext, createContextOn, requestAdapter, type ContextOptions } from './device.js';
export {
  GpuError,
  NoAdapterError,
  NullBackendError,
  TensorTooLargeError,
  UnknownAdapterError,
  UnknownBackendError,
  type AdapterListing,
  type DeviceSetting,
} from './errors.js';
export { DeviceTensor, formatShape, shapeSize, type Shape } from './tensor.js';
export type { ShaderName, ShaderParams } from './shader-names.js';
export type { ParamValues, ShaderSources, WorkgroupSize } from './shaders.js';
export type { KernelTiming } from './profiler.js';
export type { PoolStats } from './pool.js';
export { measureGpuMs } from './timing.js';
