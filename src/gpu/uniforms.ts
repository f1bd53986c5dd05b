// Kernel parameters (packed by ParamsLayout, params.ts) are cached by content, so that a loop
// repeating the same shapes reuses the same immutable uniform buffers.

interface Entry {
  buffer: GPUBuffer;
  lastUsed: number;
}

export class UniformCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;

  constructor(
    private readonly device: GPUDevice,
    /** Called when blocks are destroyed (bind groups naming them must go). */
    private readonly onEvict: () => void = () => {},
    private readonly capacity = 4096,
  ) {}

  /** The block's identity: its words. */
  key(bytes: Uint8Array): string {
    return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).join(',');
  }

  get(bytes: Uint8Array, key = this.key(bytes)): GPUBuffer {
    let entry = this.entries.get(key);
    if (!entry) {
      const buffer = this.device.createBuffer({
        size: bytes.byteLength,
        usage: GPUBufferUsage.UNIFORM,
        mappedAtCreation: true,
        label: 'params',
      });
      new Uint8Array(buffer.getMappedRange()).set(bytes);
      buffer.unmap();
      entry = { buffer, lastUsed: this.generation };
      this.entries.set(key, entry);
    }
    entry.lastUsed = this.generation;
    return entry.buffer;
  }

  /** Marks a block as used (a cached bind group binds it) without making it. */
  touch(key: string): void {
    const entry = this.entries.get(key);
    if (entry) entry.lastUsed = this.generation;
  }

  /** Called after each submit: forgets blocks that the last submissions did not use once over capacity. */
  afterSubmit(): void {
    this.generation++;
    if (this.entries.size <= this.capacity) return;
    let evicted = false;
    for (const [key, entry] of this.entries) {
      // Destroying after submit is safe: the work already submitted keeps the memory alive.
      if (entry.lastUsed < this.generation - 1) {
        entry.buffer.destroy();
        this.entries.delete(key);
        evicted = true;
      }
    }
    if (evicted) this.onEvict();
  }
}
