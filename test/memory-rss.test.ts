// The budget and host memory (docs/memory.md, "GPU memory"): under --max-memory the pool
// (src/gpu/pool.ts) keeps live + pooled bytes under the budget by destroying pooled buffers, but Dawn
// gives a destroyed buffer's memory back only once the queue has run past it and Dawn ticks, so every
// byte destroyed is a byte that may stay resident a while (lavapipe keeps buffers in host memory).
// These tests hold what the pool does about it: it destroys the fewest bytes that bring it under the
// limit, only after submitting the work that may still use them, counts what it destroyed, and then
// submits an empty command buffer (the context's), so that their memory waits for the work before
// them and not for the kernels recorded next.
// The peak RSS of whole jobs under a budget is measured by bench/memory-rss.ts (figures in
// docs/memory.md): too noisy on two shared cores to assert here.

import { describe, expect, it, vi } from 'vitest';
import { BufferPool } from '../src/gpu/pool.js';
import { useGpu } from './helpers/gpu.js';

/** A device that hands out fake buffers and logs what happens to them. */
function fakeDevice(log: string[]): GPUDevice {
  return {
    createBuffer: ({ size }: GPUBufferDescriptor) => ({ size, destroy: () => log.push(`destroy ${size}`) }) as unknown as GPUBuffer,
  } as unknown as GPUDevice;
}

describe('the pool under a limit', () => {
  it('submits the work that may use a pooled buffer before destroying it, and counts the bytes destroyed', () => {
    const log: string[] = [];
    const pool = new BufferPool(fakeDevice(log), 0, 'test');
    pool.limit(1000, () => log.push('submit recorded work'));
    const a = pool.acquire(400);
    const b = pool.acquire(400);
    pool.release(a);
    pool.release(b);
    expect(log).toEqual([]); // 800 bytes: under the limit, nothing destroyed
    pool.acquire(480); // 400 + 400 + 480 > 1000: one 400-byte buffer goes
    expect(log).toEqual(['submit recorded work', 'destroy 400']);
    expect(pool.stats()).toMatchObject({ liveBytes: 480, pooledBytes: 400, destroyedBytes: 400 });
  });

  it('destroys the fewest bytes that bring it under the limit: the smallest pooled buffer that is enough alone', () => {
    const log: string[] = [];
    const pool = new BufferPool(fakeDevice(log), 0, 'test');
    pool.limit(1000, () => {});
    const held = [pool.acquire(512), pool.acquire(256), pool.acquire(128)];
    for (const buffer of held) pool.release(buffer);
    pool.acquire(160); // 896 + 160 = 1056: 56 over, so the 128-byte buffer goes (largest first took the 512)
    expect(log).toEqual(['destroy 128']);
    pool.acquire(400); // 928 + 400 = 1328: 328 over; no one buffer but the 512 is enough
    expect(log).toEqual(['destroy 128', 'destroy 512']);
    pool.acquire(200); // 208 bytes (a multiple of 16): 768 live + 256 pooled, 24 over, the 256 is enough
    expect(log).toEqual(['destroy 128', 'destroy 512', 'destroy 256']);
    expect(pool.stats()).toMatchObject({ liveBytes: 768, pooledBytes: 0, destroyedBytes: 896 });
  });
});

describe('the pool and the context let Dawn free what the pool destroys', () => {
  it('runs afterTrim once the buffers are destroyed, and not where nothing was', () => {
    const log: string[] = [];
    const pool = new BufferPool(fakeDevice(log), 0, 'test');
    pool.limit(
      1000,
      () => log.push('submit recorded work'),
      () => log.push('submit an empty command buffer'),
    );
    const a = pool.acquire(600);
    pool.acquire(600); // over the limit, but nothing pooled to destroy
    expect(log).toEqual(['submit recorded work']);
    pool.release(a);
    pool.acquire(400); // 1200 + 400: the pooled 600 goes
    expect(log).toEqual(['submit recorded work', 'submit recorded work', 'destroy 608', 'submit an empty command buffer']);
  });

  const gpu = useGpu();
  it('submits an empty command buffer after the pool destroys under --max-memory', () => {
    const ctx = gpu();
    const submit = vi.spyOn(ctx.device.queue, 'submit');
    try {
      ctx.limitMemory(1024 * 1024);
      const held = ctx.empty([200 * 1024]); // 800 KiB live
      ctx.empty([50 * 1024]).release(); // 200 KiB pooled
      submit.mockClear();
      const more = ctx.empty([60 * 1024]); // 1040 KiB wanted: the pooled buffer goes
      expect(ctx.memory().destroyedBytes).toBe(200 * 1024);
      expect(submit).toHaveBeenCalledTimes(1); // nothing was recorded: only the empty one
      held.release();
      more.release();
    } finally {
      ctx.limitMemory(Infinity);
      submit.mockRestore();
    }
  });
});
