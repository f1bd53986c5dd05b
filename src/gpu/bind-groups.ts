// Bind groups cached by what they bind: a training step binds the same pool buffers to the same
// pipelines every step, and making a bind group costs more than recording the dispatch. A key
// names the pipeline, the parameters' bytes and each buffer (by object, offset and size). A buffer
// the pool destroys is never handed out again, so entries naming it are simply never found; the
// uniform cache's evictions clear everything (a kept group would bind a destroyed uniform).

export class BindGroupCache {
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;
  /** Bind groups made so far. */
  made = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly capacity = 8192,
  ) {}

  key(pipeline: GPUComputePipeline, paramsKey: string, buffers: ReadonlyArray<GPUBuffer | GPUBufferBinding>): string {
    let key = `${this.id(pipeline)}|${paramsKey}`;
    for (const b of buffers) key += 'buffer' in b ? `|${this.id(b.buffer)}:${b.offset ?? 0}:${b.size ?? ''}` : `|${this.id(b)}`;
    return key;
  }

  find(key: string): GPUBindGroup | undefined {
    return this.groups.get(key);
  }

  create(key: string, descriptor: GPUBindGroupDescriptor): GPUBindGroup {
    if (this.groups.size >= this.capacity) this.groups.clear();
    const group = this.device.createBindGroup(descriptor);
    this.made++;
    this.groups.set(key, group);
    return group;
  }

  clear(): void {
    this.groups.clear();
  }

  get size(): number {
    return this.groups.size;
  }

  private id(object: object): number {
    let id = this.ids.get(object);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(object, id);
    }
    return id;
  }
}
