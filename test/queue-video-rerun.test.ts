// A rerun of `wgpu-style video … --queue` after its chain ended: each segment's next one, left on
// the queue by the earlier chain (failed, or done while its frames were deleted since), is made
// again, not taken for the new chain's (which would end it at once or skip frames). No device:
// the segments are ended by a plain BullMQ worker on a real redis-server.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addSegment, segmentJobId, type VideoSegmentData } from '../src/batch/video-queue.js';
import { SOME_FAILED } from '../src/cli/batch-report.js';
import { runQueuedVideo } from '../src/cli/video-queue.js';
import { freePort, REDIS_SERVER, RedisServer } from './helpers/redis.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-queue-video-rerun-'));
let redis: RedisServer;
let queue: Queue;
const connection = () => ({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null });

beforeAll(async () => {
  if (!REDIS_SERVER) return;
  redis = new RedisServer(await freePort(), work);
  await redis.start();
  queue = new Queue('rerun', { connection: connection() });
});
afterAll(async () => {
  await queue?.close();
  await redis?.stop();
  rmSync(work, { recursive: true, force: true });
});

const segment = (n: number, from: string): VideoSegmentData => ({
  video: { input: '/in.mp4', output: '/out/%04d.png', styles: ['/s.png'], settings: {}, keepFrames: false, fps: { num: 1, den: 1 } },
  key: 'k',
  segment: n,
  segmentFrames: 3,
  from,
});

describe.skipIf(!REDIS_SERVER)('video segments on a rerun', () => {
  it("replaces the earlier chain's failed segment, and leaves this chain's own alone", async () => {
    await addSegment(queue, segment(2, 'earlier run'), 1);
    const worker = new Worker('rerun', async () => Promise.reject(new UnrecoverableError('earlier failure')), { connection: connection() });
    const id = segmentJobId('k', 2);
    for (let i = 0; i < 100 && (await queue.getJobState(id)) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 50));
    await worker.close();
    expect(await queue.getJobState(id)).toBe('failed');
    const old = (await queue.getJob(id))!.timestamp;

    // The same chain's segment 1 redone (its job made before segment 2's): segment 2 stays as it is.
    await addSegment(queue, segment(2, 'same chain'), 1, old - 1);
    expect(await queue.getJobState(id)).toBe('failed');
    // The rerun's segment 1 (made after): segment 2 is queued again, for the new chain.
    await addSegment(queue, segment(2, 'rerun'), 1, old + 1);
    expect(await queue.getJobState(id)).toBe('waiting');
    expect((await queue.getJob(id))!.data.from).toBe('rerun');
  });
});

describe.skipIf(!REDIS_SERVER)('video --queue --wait on a rerun', () => {
  it("names the failed segment's frames, and a rerun of the same command takes that segment again", async () => {
    let failures = 0;
    // A stand-in for `wgpu-style worker`: segment 1 adds segment 2 as runSegment does; segment 2 fails the first time only.
    const worker = new Worker(
      'follow',
      async (job: Job<VideoSegmentData>) => {
        const { segment } = job.data;
        if (segment === 2 && failures++ === 0) throw new UnrecoverableError('the device was lost');
        if (segment === 1) await addSegment(stand, { ...job.data, segment: 2 }, 1, job.timestamp);
        return { segment, frames: [segment * 3 - 2, segment * 3], written: 3, skipped: 0, next: segment === 1 ? 2 : null, output: null };
      },
      { connection: connection() },
    );
    const stand = new Queue('follow', { connection: connection() });
    const said: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: string) => void said.push(m));
    try {
      const settings = { url: redis.url, name: 'follow', segmentFrames: 3, wait: true, attempts: 1 };
      expect(await runQueuedVideo(segment(1, '').video, settings)).toBe(SOME_FAILED);
      expect(said.join('\n')).toMatch(/segment 2 \(frames 4-6\): failed \(the device was lost, after 1 attempts\)/);
      said.length = 0;
      expect(await runQueuedVideo(segment(1, '').video, settings), said.join('\n')).toBe(0);
      expect(said.join('\n')).toMatch(/segment 2: frames 4-6 done/);
    } finally {
      spy.mockRestore();
      await worker.close();
      await stand.close();
    }
  });
});
