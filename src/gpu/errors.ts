// Errors of the GPU runtime. Each carries its facts as fields (what was asked, what exists, the
// limit); the message states them plainly, and each edge (the CLI, the web page) words the advice.

export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A tensor larger than the adapter allows: over maxBufferSize (any tensor), or over
 * maxStorageBufferBindingSize for a tensor whose kernels do not work band by band (the image's).
 */
export class TensorTooLargeError extends GpuError {
  /** For an NCHW activation, the largest square image side whose tensor fits; null for other shapes. */
  readonly largestSide: number | null;

  constructor(
    readonly shape: readonly number[],
    readonly bytes: number,
    readonly limitBytes: number,
    readonly label: string,
    readonly limit: 'maxBufferSize' | 'maxStorageBufferBindingSize' = 'maxBufferSize',
  ) {
    const side = largestSquareSide(shape, limitBytes);
    const what = limit === 'maxBufferSize' ? 'holds at most' : 'binds at most';
    super(
      `${label}: tensor of shape [${shape.join(', ')}] needs ${mib(bytes)} but this adapter ${what} ` +
        `${mib(limitBytes)} per storage buffer (${limit})` +
        (side === null ? '' : `; with ${shape[1]} channels the largest square image that fits is ${side}×${side} px`),
    );
    this.largestSide = side;
  }
}

/** An adapter as the implementation lists it: its backend and the name an adapter choice matches. */
export interface AdapterListing {
  backend: string;
  name: string;
}

/** A setting that chose the backend or adapter: its value and, when it came from there, the environment variable. */
export interface DeviceSetting {
  value: string;
  env?: string;
}

/** No adapter came back for what was asked (`tried`, in words); `available` lists those that exist, when known. */
export class NoAdapterError extends GpuError {
  constructor(
    readonly tried: string,
    /** The implementation's own explanation, if it gave one. */
    readonly detail?: string,
    readonly available: readonly AdapterListing[] = [],
  ) {
    super(
      `no WebGPU adapter found (tried: ${tried}${detail ? `; ${detail}` : ''})${available.length ? `; adapters that exist: ${formatListings(available)}` : ''}`,
    );
  }
}

/** A backend name the implementation does not know. */
export class UnknownBackendError extends GpuError {
  constructor(
    readonly backend: DeviceSetting,
    readonly known: readonly string[],
    readonly available: readonly AdapterListing[],
  ) {
    super(
      `unknown backend "${backend.value}": the backends are ${known.join(', ')}${available.length ? `; adapters that exist: ${formatListings(available)}` : ''}`,
    );
  }
}

/** An adapter choice that matches no adapter of the backend searched. */
export class UnknownAdapterError extends GpuError {
  constructor(
    readonly adapter: DeviceSetting,
    readonly backend: string,
    readonly available: readonly AdapterListing[],
  ) {
    super(`no ${backend} adapter's name contains "${adapter.value}"; adapters that exist: ${formatListings(available) || 'none'}`);
  }
}

/** A backend that runs no shaders (Dawn's null backend) chosen for work that must compute. */
export class NullBackendError extends GpuError {
  constructor(
    readonly backend: DeviceSetting,
    /** The backend used when none is chosen. */
    readonly defaultBackend: string,
  ) {
    super(`the ${backend.value} backend runs no shaders, so it cannot compute anything; the default backend here is ${defaultBackend}`);
  }
}

function formatListings(list: readonly AdapterListing[]): string {
  return list.map((a) => `"${a.name}" (${a.backend})`).join(', ');
}

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** For an NCHW activation: the largest square image whose tensor still fits one binding. */
function largestSquareSide(shape: readonly number[], limitBytes: number): number | null {
  if (shape.length !== 4) return null;
  const [n, c] = shape as [number, number, number, number];
  return Math.floor(Math.sqrt(limitBytes / 4 / (n * c)));
}
