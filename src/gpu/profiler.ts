// Per-dispatch GPU time from timestamp queries, when the adapter has 'timestamp-query'.
// While recording, every compute pass writes a begin and an end timestamp; collect()
// resolves them and returns one entry per dispatch, in submission order.

export interface KernelTiming {
  kernel: string;
  label: string;
  ms: number;
}

export class Profiler {
  private querySet: GPUQuerySet | null = null;
  private entries: Array<{ kernel: string; label: string }> = [];
  private recording = false;

  constructor(
    private readonly device: GPUDevice,
    readonly supported: boolean,
    private readonly capacity = 2048,
  ) {}

  start(): void {
    if (!this.supported) throw new Error("this adapter has no 'timestamp-query' feature; time with wall clock around ctx.sync() instead");
    this.querySet ??= this.device.createQuerySet({ type: 'timestamp', count: this.capacity * 2, label: 'profiler' });
    this.entries = [];
    this.recording = true;
  }

  /** The timestampWrites for the next pass, or undefined when not recording or full. */
  passWrites(kernel: string, label: string): GPUComputePassTimestampWrites | undefined {
    if (!this.recording || !this.querySet || this.entries.length >= this.capacity) return undefined;
    const index = this.entries.length;
    this.entries.push({ kernel, label });
    return { querySet: this.querySet, beginningOfPassWriteIndex: index * 2, endOfPassWriteIndex: index * 2 + 1 };
  }

  /** Stops recording; encodes the resolve of what was recorded into `encoder`. */
  stop(encoder: GPUCommandEncoder, resolveBuffer: GPUBuffer): Array<{ kernel: string; label: string }> {
    this.recording = false;
    if (this.querySet && this.entries.length > 0) {
      encoder.resolveQuerySet(this.querySet, 0, this.entries.length * 2, resolveBuffer, 0);
    }
    return this.entries;
  }

  static timings(entries: Array<{ kernel: string; label: string }>, stamps: BigUint64Array): KernelTiming[] {
    return entries.map((entry, i) => {
      const begin = stamps[i * 2]!;
      const end = stamps[i * 2 + 1]!;
      return { ...entry, ms: end > begin ? Number(end - begin) / 1e6 : 0 };
    });
  }
}
