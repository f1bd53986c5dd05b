// An f32 tensor that lives on the device: a shape and a pooled GPU buffer.
// It holds no autodiff state; src/graph wraps it for that.

export type Shape = readonly number[];

/** What a tensor needs from the context that made it (GpuContext): where its buffer goes back, and readback. */
export interface TensorOwner {
  releaseBuffer(buffer: GPUBuffer): void;
  read(tensor: DeviceTensor): Promise<Float32Array>;
}

export class DeviceTensor {
  readonly size: number;
  private released = false;

  constructor(
    private readonly owner: TensorOwner,
    readonly shape: Shape,
    private readonly storage: GPUBuffer,
  ) {
    this.size = shapeSize(shape);
  }

  get buffer(): GPUBuffer {
    if (this.released) throw new Error(`tensor [${this.shape.join(', ')}] was used after release()`);
    return this.storage;
  }

  /** True once release() has returned the buffer to the pool. */
  get isReleased(): boolean {
    return this.released;
  }

  get bytes(): number {
    return this.size * 4;
  }

  /** Returns the buffer to the pool. Work already recorded that reads it stays valid. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.releaseBuffer(this.storage);
  }

  read(): Promise<Float32Array> {
    return this.owner.read(this);
  }

  toString(): string {
    return `DeviceTensor[${this.shape.join(', ')}]`;
  }
}

export function shapeSize(shape: Shape): number {
  let size = 1;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) throw new Error(`invalid shape [${shape.join(', ')}]: dimensions must be integers >= 0`);
    size *= dim;
  }
  return size;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}
