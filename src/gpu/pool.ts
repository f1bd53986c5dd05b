// Recycles GPU buffers by exact byte size, so a training loop that allocates the same shapes
// every step stops creating buffers after its first step. Counts what is live for memory tests.

export interface PoolStats {
  /** Buffers handed out and not yet released. */
  liveBuffers: number;
  liveBytes: number;
  /** Buffers released and waiting for reuse. */
  pooledBuffers: number;
  pooledBytes: number;
  /** Most bytes ever allocated from the device at once (live + pooled). */
  peakBytes: number;
  /** Most bytes ever live at once: what the work needed, without the pool's spare buffers. */
  peakLiveBytes: number;
  /** Buffers created over the pool's life. */
  created: number;
  /** Bytes of pooled buffers destroyed to keep under the limit, over the pool's life. */
  destroyedBytes: number;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private liveBuffers = 0;
  private liveBytes = 0;
  private pooledBuffers = 0;
  private pooledBytes = 0;
  private peakBytes = 0;
  private peakLiveBytes = 0;
  private created = 0;
  private destroyedBytes = 0;
  private limitBytes = Infinity;
  private beforeTrim: () => void = () => {};
  private afterTrim: () => void = () => {};

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    private readonly label: string,
  ) {}

  /** A buffer of at least `bytes` (rounded up to 16); its contents are undefined. */
  acquire(bytes: number): GPUBuffer {
    const size = pooledBytes(bytes);
    const reused = this.free.get(size)?.pop();
    this.liveBuffers++;
    this.liveBytes += size;
    this.peakLiveBytes = Math.max(this.peakLiveBytes, this.liveBytes);
    if (reused) {
      this.pooledBuffers--;
      this.pooledBytes -= size;
      return reused;
    }
    if (this.liveBytes + this.pooledBytes > this.limitBytes) this.shrink();
    this.created++;
    this.peakBytes = Math.max(this.peakBytes, this.liveBytes + this.pooledBytes);
    return this.device.createBuffer({ size, usage: this.usage, label: `${this.label}:${size}` });
  }

  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buffer);
    this.liveBuffers--;
    this.liveBytes -= size;
    this.pooledBuffers++;
    this.pooledBytes += size;
  }

  /**
   * Keeps live + pooled bytes at most `bytes` where it can: before a new buffer would pass it, pooled
   * buffers are destroyed (the fewest bytes that bring it under), after `beforeTrim` (which must submit
   * recorded work that may still use them); then `afterTrim` runs. Live bytes alone may still pass it.
   *
   * The budget holds the pool, not the driver's memory: Dawn frees a destroyed buffer's memory only
   * once the queue has run the submission pending at destroy(), and only when it ticks (at each submit,
   * and from the event loop). `afterTrim` should submit (an empty command buffer will do), so that the
   * pending submission is not the kernels recorded next. With lavapipe that memory is host memory
   * (docs/memory.md).
   */
  limit(bytes: number, beforeTrim: () => void, afterTrim: () => void = () => {}): void {
    this.limitBytes = bytes;
    this.beforeTrim = beforeTrim;
    this.afterTrim = afterTrim;
  }

  private shrink(): void {
    this.beforeTrim();
    const before = this.pooledBytes;
    // The fewest bytes that bring it under the limit: the smallest pooled buffer that is enough alone,
    // else the largest, again until under (largest first alone destroyed several times the excess).
    while (this.pooledBytes > 0 && this.liveBytes + this.pooledBytes > this.limitBytes) {
      const excess = this.liveBytes + this.pooledBytes - this.limitBytes;
      const sizes = [...this.free].filter(([, list]) => list.length > 0).map(([size]) => size);
      const enough = sizes.filter((s) => s >= excess);
      const size = enough.length > 0 ? Math.min(...enough) : Math.max(...sizes);
      const list = this.free.get(size)!;
      list.pop()!.destroy();
      if (list.length === 0) this.free.delete(size);
      this.pooledBuffers--;
      this.pooledBytes -= size;
    }
    this.destroyedBytes += before - this.pooledBytes;
    if (this.pooledBytes < before) this.afterTrim();
  }

  /** Destroys every pooled (not live) buffer. */
  trim(): void {
    for (const list of this.free.values()) for (const buffer of list) buffer.destroy();
    this.free.clear();
    this.pooledBuffers = 0;
    this.pooledBytes = 0;
  }

  /** Starts a new high-water mark from what is allocated now. */
  resetPeak(): void {
    this.peakBytes = this.liveBytes + this.pooledBytes;
    this.peakLiveBytes = this.liveBytes;
  }

  stats(): PoolStats {
    return {
      liveBuffers: this.liveBuffers,
      liveBytes: this.liveBytes,
      pooledBuffers: this.pooledBuffers,
      pooledBytes: this.pooledBytes,
      peakBytes: this.peakBytes,
      peakLiveBytes: this.peakLiveBytes,
      created: this.created,
      destroyedBytes: this.destroyedBytes,
    };
  }
}

/** The bytes of the buffer the pool hands out for `bytes`: at least 16, a multiple of 16. */
export function pooledBytes(bytes: number): number {
  return roundUp(Math.max(bytes, 16), 16);
}

export function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}
