// The queue, for real: a redis-server on a free loopback port, 3 `wgpu-style worker` processes and
// `wgpu-style batch --queue … --wait` as the producer. Outputs identical to the one-machine batch;
// a poison input failed after its attempts while the others succeed; 200 tiny jobs, none lost or
// done twice; a worker SIGKILLed mid-image and the image finished by another from its checkpoint;
// Redis restarted mid-batch and the batch completed.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesIn, makeBatchInputs, manifestLines, TINY } from './helpers/batch-images.js';
import { cli } from './helpers/cli.js';
import { freePort, REDIS_SERVER, RedisServer } from './helpers/redis.js';
import { endQueueTest, spawnWorker, startWorkers, until, type RunningWorker } from './helpers/queue.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-queue-'));
const path = (name: string) => join(work, name);
const env = { WGPU_STYLE_CACHE: path('cache') };
let files: { weights: string; style: string; inputs: string };
let redis: RedisServer;
const workers: RunningWorker[] = [];
/**
 * A job's lock: long enough that a live worker never loses it on this loaded 2-core machine (its
 * first job compiles the kernels, blocking its event loop for seconds), short enough for the test.
 */
const LOCK_SECONDS = 15;
/** Redis asks for it; no message may show it. */
const PASSWORD = 'pw-never-printed-7f3a';

function startWorker(): RunningWorker {
  const args = [
    'worker',
    '--queue',
    redis.url,
    '--weights',
    files.weights,
    '--lock-seconds',
    String(LOCK_SECONDS),
    '--stalled-seconds',
    '1',
  ];
  return spawnWorker(args, work, env);
}

const batch = (inputs: string, out: string, ...more: string[]) =>
  cli(['batch', inputs, '--style', files.style, '--weights', files.weights, ...TINY, '-o', out, ...more], { cwd: work, env });
const queued = (inputs: string, out: string, ...more: string[]) => batch(inputs, out, '--queue', redis.url, '--wait', ...more);

beforeAll(async () => {
  if (!REDIS_SERVER) return;
  files = await makeBatchInputs(work, 6);
  mkdirSync(path('redis'));
  redis = new RedisServer(await freePort(), path('redis'), PASSWORD);
  await redis.start();
  await startWorkers(workers, 3, startWorker);
}, 150_000);

afterAll(() => endQueueTest(workers, redis, work));

describe.runIf(REDIS_SERVER)('wgpu-style batch --queue with 3 workers on a real Redis', () => {
  it('completes a batch with every output identical to the one-machine batch', async () => {
    const local = await batch(files.inputs, 'local', '--steps', '2');
    expect(local.code, local.stderr).toBe(0);
    const r = await queued(files.inputs, 'queued', '--steps', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/6 done, 0 skipped, 0 failed/);
    expect(r.stderr).toContain(`redis://:***@127.0.0.1:${redis.port}`);
    for (const text of [r.stderr, r.stdout, ...workers.map((w) => w.log)]) expect(text).not.toContain(PASSWORD);
    for (const name of filesIn(path('local')).filter((n) => n.endsWith('.png')))
      expect(readFileSync(path(`queued/${name}`)), name).toEqual(readFileSync(path(`local/${name}`)));
    expect(manifestLines(path('queued')).map((l) => l.status)).toEqual(Array(6).fill('done'));
  });

  it('fails a poison input after its 3 attempts, with its reason, while the others succeed', async () => {
    mkdirSync(path('poison'));
    for (const n of ['p000.png', 'p001.png']) writeFileSync(path(`poison/${n}`), readFileSync(join(files.inputs, n)));
    writeFileSync(path('poison/p000-bad.png'), 'not a png');
    const r = await queued(path('poison'), 'poisoned', '--steps', '1');
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/p000-bad\.png\s+failed .*cannot decode.*\(after 3 attempts\)/);
    const lines = manifestLines(path('poisoned'));
    expect(lines.filter((l) => l.status === 'done')).toHaveLength(2);
    expect(lines.filter((l) => l.status === 'failed').map((l) => l.output)).toEqual([path('poisoned/p000-bad.png')]);
  });

  it('runs 200 tiny jobs across the 3 workers with none lost and none done twice', async () => {
    const many = path('many');
    await makeBatchInputs(many, 200);
    // Redis memory per queued job: enqueued on a queue no worker takes from.
    const before = await redis.usedMemory();
    const idle = await batch(join(many, 'in'), 'idle', '--steps', '1', '--queue', redis.url, '--queue-name', 'nobody');
    expect(idle.code, idle.stderr).toBe(0);
    const perJob = ((await redis.usedMemory()) - before) / 200;
    console.log(`Redis memory per queued job: ${Math.round(perJob)} bytes`);
    expect(perJob).toBeLessThan(16_384);
    const started = performance.now();
    const r = await queued(join(many, 'in'), 'many-out', '--steps', '1');
    console.log(`200 jobs on 3 workers: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(r.code, r.stderr).toBe(0);
    const lines = manifestLines(path('many-out'));
    expect(lines).toHaveLength(200);
    expect(new Set(lines.map((l) => l.output)).size).toBe(200);
    expect(filesIn(path('many-out')).filter((n) => n.endsWith('.png'))).toHaveLength(200);
    expect(new Set(lines.map((l) => l.by)).size).toBe(3);
  }, 240_000);

  it('finishes an image whose worker is SIGKILLed mid-image on another worker, from its checkpoint, once', async () => {
    const one = path('one');
    mkdirSync(one);
    writeFileSync(join(one, 'p003.png'), readFileSync(join(files.inputs, 'p003.png')));
    const args = ['--size', '24', '--steps', '60', '--checkpoint-every', '1'];
    const producer = queued(one, 'killed', ...args);
    // A checkpoint in place (not only its temporary file, renamed over it once written).
    await until('a checkpoint', () => readdirSyncSafe(path('killed/.checkpoints')).some((n) => n.endsWith('.ckpt')));
    // The worker that took it (the output's path is this test's own: earlier tests did a p003.png too).
    const victim = workers.find((w) => w.log.includes(`-> ${path('killed/p003.png')}`))!;
    victim.child.kill('SIGKILL');
    const killedAt = performance.now();
    const others = workers.filter((w) => w !== victim);
    const marks = others.map((w) => w.log.length);
    await until('the takeover', () => others.some((w, i) => w.log.slice(marks[i]).includes(`-> ${path('killed/p003.png')}`)), 60);
    console.log(
      `SIGKILL to takeover: ${((performance.now() - killedAt) / 1000).toFixed(1)} s (--lock-seconds ${LOCK_SECONDS} --stalled-seconds 1)`,
    );
    const r = await producer;
    expect(r.code, r.stderr).toBe(0);
    expect(filesIn(path('killed'))).toEqual(['manifest.jsonl', 'p003.png']);
    const lines = manifestLines(path('killed'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).toMatch(/resumed from its checkpoint/);
    expect(lines[0]!.by).not.toContain(`:${victim.child.pid}`);
    const local = await batch(one, 'killed-local', ...args);
    expect(local.code, local.stderr).toBe(0);
    expect(readFileSync(path('killed/p003.png'))).toEqual(readFileSync(path('killed-local/p003.png')));
    workers.splice(workers.indexOf(victim), 1);
  }, 180_000);

  it('completes the batch when Redis is restarted in the middle of it', async () => {
    const producer = queued(files.inputs, 'restarted', '--steps', '12');
    await until('the first image', () => readdirSyncSafe(path('restarted')).some((n) => n.endsWith('.png')), 90);
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    const r = await producer;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
    for (const text of [r.stderr, ...workers.map((w) => w.log)]) expect(text).not.toContain(PASSWORD);
    expect(filesIn(path('restarted')).filter((n) => n.endsWith('.png'))).toHaveLength(6);
    expect(new Set(manifestLines(path('restarted')).map((l) => l.output)).size).toBe(6);
  }, 180_000);
});

function readdirSyncSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
