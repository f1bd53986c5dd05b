// A video through the queue, for real: a redis-server on a free loopback port, 2 `wgpu-style worker`
// processes, and `wgpu-style video … --queue … --segment-frames 3 --wait` as the producer. A 6-frame
// clip in 2 chained segments: every frame made once, the frames byte for byte those of the video
// made in one process (the chain carries the temporal state over exactly). A worker sent SIGTERM
// mid-video puts its segment back, and the other goes on from the frames made.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticWeights, writeImage } from '../src/index.js';
import { writeWeightsFile } from '../src/node/weights-files.js';
import { cli } from './helpers/cli.js';
import { picture } from './helpers/pictures.js';
import { endQueueTest, spawnWorker, startWorkers, until, type RunningWorker } from './helpers/queue.js';
import { freePort, REDIS_SERVER, RedisServer } from './helpers/redis.js';
import { makeClip, texture } from './helpers/video-clip.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-queue-video-'));
const path = (name: string) => join(work, name);
const env = { WGPU_STYLE_CACHE: path('cache'), WGPU_STYLE_AUTOTUNE: '0' };
const FRAMES = 6;
// Layers up to conv2_1 only: a frame takes a fraction of a second (long enough to stop a worker mid-video).
const TINY = ['--weights', 'syn.bin', '--size', '32', '--scales', '1', '--steps', '3', '--frame-steps', '15'];
const LAYERS = ['--content-layers', 'conv2_1', '--style-layers', 'conv1_1,conv2_1'];
let redis: RedisServer;
const workers: RunningWorker[] = [];

function startWorker(): RunningWorker {
  const args = ['worker', '--queue', redis.url, '--weights', path('syn.bin'), '--lock-seconds', '15', '--stalled-seconds', '1'];
  return spawnWorker(args, work, env);
}

const frameFiles = (folder: string) =>
  readdirSync(path(folder))
    .filter((n) => /^\d{4}\.png$/.test(n))
    .sort();

beforeAll(async () => {
  if (!REDIS_SERVER) return;
  await writeWeightsFile(path('syn.bin'), syntheticWeights(5));
  writeImage(path('style.png'), picture(24, 24, 'style'));
  mkdirSync(path('clip'));
  const clip = makeClip(texture(32 + 2 * (FRAMES - 1), 24), { width: 32, height: 24, frames: FRAMES, pan: 2 });
  clip.frames.forEach((f, i) => writeImage(path(`clip/f${i + 1}.png`), f));
  mkdirSync(path('redis'));
  redis = new RedisServer(await freePort(), path('redis'));
  await redis.start();
  await startWorkers(workers, 2, startWorker);
}, 150_000);

afterAll(() => endQueueTest(workers, redis, work));

describe.runIf(REDIS_SERVER)('wgpu-style video --queue: a video in chained segments on 2 workers', () => {
  it('makes every frame once, in 2 segments of 3, the same bytes as the video made in one process', async () => {
    const args = ['video', 'clip', 'style.png', ...TINY, ...LAYERS];
    const r = await cli([...args, '-o', 'queued/%04d.png', '--queue', redis.url, '--segment-frames', '3', '--wait'], { cwd: work, env });
    expect(r.code, `${r.stderr}\n${workers.map((w) => w.log).join('\n')}`).toBe(0);
    expect(r.stderr).toMatch(/segment 1: frames 1-3 done \(3 made, 0 found made\)/);
    expect(r.stderr).toMatch(/segment 2: frames 4-6 done \(3 made, 0 found made\)/);
    expect(r.stderr).toMatch(/video done/);
    expect(frameFiles('queued')).toEqual(['0001.png', '0002.png', '0003.png', '0004.png', '0005.png', '0006.png']);
    // The run record goes once the last segment is done, as after a video made in one process.
    expect(readdirSync(path('queued')).filter((n) => n.startsWith('.'))).toEqual([]);
    const local = await cli([...args, '-o', 'local/%04d.png'], { cwd: work, env });
    expect(local.code, local.stderr).toBe(0);
    for (const name of frameFiles('local'))
      expect(readFileSync(path(`queued/${name}`)).equals(readFileSync(path(`local/${name}`))), name).toBe(true);
  }, 180_000);

  it('puts a SIGTERMed worker’s segment back: the other goes on from the frames made, the same bytes', async () => {
    const args = ['video', 'clip', 'style.png', ...TINY, ...LAYERS, '-o', 'stopped/%04d.png', '--queue', redis.url, '--wait'];
    const producer = cli([...args, '--segment-frames', String(FRAMES)], { cwd: work, env });
    await until('frame 2', () => existsSync(path('stopped/0002.png')), 120);
    const output = path('stopped/%04d.png');
    const victim = workers.find((w) => w.log.includes(`-> ${output}: segment 1`))!;
    const other = workers.find((w) => w !== victim)!;
    const mark = other.log.length;
    victim.child.kill('SIGTERM');
    expect(await victim.exit).toBe(0);
    expect(victim.log).toMatch(/segment 1: stopped \(its frames kept\); back on the queue for another worker/);
    const r = await producer;
    expect(r.code, `${r.stderr}\n${other.log}`).toBe(0);
    const resumed = /segment 1: resuming: (\d) of 6 frames are done/.exec(other.log.slice(mark));
    expect(Number(resumed?.[1])).toBeGreaterThanOrEqual(2);
    expect(r.stderr).toMatch(new RegExp(`segment 1: frames 1-6 done \\(${6 - Number(resumed![1])} made, ${resumed![1]} found made\\)`));
    for (const name of frameFiles('local'))
      expect(readFileSync(path(`stopped/${name}`)).equals(readFileSync(path(`local/${name}`))), name).toBe(true);
    workers.splice(workers.indexOf(victim), 1);
  }, 180_000);
});
