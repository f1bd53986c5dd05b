// Kernel parameters: packed little-endian into 16-byte-aligned uniform blocks, and cached by
// content so that a loop repeating the same shapes reuses the same immutable buffers.

export type ParamType = 'u32' | 'i32' | 'f32';

/** Fields in the order of the kernel's WGSL `Params` struct (all 4-byte scalars). */
export function packParams(fields: ReadonlyArray<readonly [ParamType, number]>): Uint8Array {
  const bytes = new Uint8Array(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const view = new DataView(bytes.buffer);
  fields.forEach(([type, value], i) => {
    if (type === 'f32') view.setFloat32(i * 4, value, true);
    else if (type === 'i32') view.setInt32(i * 4, value, true);
    else {
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`u32 parameter ${i} is ${value}`);
      view.setUint32(i * 4, value, true);
    }
  });
  return bytes;
}

interface Entry {
  buffer: GPUBuffer;
  lastUsed: number;
}

export class UniformCache {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly capacity = 4096,
  ) {}

  get(bytes: Uint8Array): GPUBuffer {
    const key = Array.from(new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)).join(',');
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

  /** Called after each submit: forgets blocks that the last submissions did not use once over capacity. */
  afterSubmit(): void {
    this.generation++;
    if (this.entries.size <= this.capacity) return;
    for (const [key, entry] of this.entries) {
      // Destroying after submit is safe: the work already submitted keeps the memory alive.
      if (entry.lastUsed < this.generation - 1) {
        entry.buffer.destroy();
        this.entries.delete(key);
      }
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
