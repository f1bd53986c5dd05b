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
  private limitBytes = Infinity;
  private beforeTrim: () => void = () => {};

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
   * buffers (largest first) are destroyed, after `beforeTrim` (which must submit recorded work that
   * may still use them). Live bytes alone may still pass it.
   */
  limit(bytes: number, beforeTrim: () => void): void {
    this.limitBytes = bytes;
    this.beforeTrim = beforeTrim;
  }

  private shrink(): void {
    this.beforeTrim();
    for (const size of [...this.free.keys()].sort((a, b) => b - a)) {
      const list = this.free.get(size)!;
      while (list.length > 0 && this.liveBytes + this.pooledBytes > this.limitBytes) {
        list.pop()!.destroy();
        this.pooledBuffers--;
        this.pooledBytes -= size;
      }
      if (list.length === 0) this.free.delete(size);
    }
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
