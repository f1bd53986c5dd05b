// Errors a person can act on: what failed, on which kernel and shapes, and what to do.

export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuError';
  }
}

/** A tensor larger than one storage-buffer binding may be on this adapter. */
export class TensorTooLargeError extends GpuError {
  constructor(shape: readonly number[], bytes: number, limitBytes: number, label: string) {
    super(
      `${label}: tensor of shape [${shape.join(', ')}] needs ${mib(bytes)} but this adapter binds at most ` +
        `${mib(limitBytes)} per storage buffer (maxStorageBufferBindingSize). ${sizeHint(shape, limitBytes)}`,
    );
    this.name = 'TensorTooLargeError';
  }
}

export class NoAdapterError extends GpuError {
  constructor(tried: string, cause?: string) {
    super(
      `No WebGPU adapter found (tried: ${tried}${cause ? `; ${cause}` : ''}). ` +
        'A Vulkan, Metal or D3D12 driver is needed. Run `npm run setup`, which installs the Vulkan loader and ' +
        "Mesa's software driver (lavapipe) on Debian/Ubuntu; on Debian bookworm that is " +
        '`apt-get install -t bookworm-backports libvulkan1 mesa-vulkan-drivers` (Mesa >= 25; Dawn rejects Mesa 22). ' +
        'With a GPU, install its vendor driver.',
    );
    this.name = 'NoAdapterError';
  }
}

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** For an NCHW activation: the largest square image whose tensor still fits one binding. */
function sizeHint(shape: readonly number[], limitBytes: number): string {
  if (shape.length !== 4) return 'Use smaller inputs.';
  const [n, c] = shape as [number, number, number, number];
  const side = Math.floor(Math.sqrt(limitBytes / 4 / (n * c)));
  return `With ${c} channels the largest square image that fits is ${side}×${side} px; use a smaller --size.`;
}
