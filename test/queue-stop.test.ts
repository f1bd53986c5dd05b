// The queue over TLS and a worker's graceful stop, for real: a redis-server that speaks only TLS,
// its certificate signed by a private CA that openssl makes here (given to the CLI with
// --queue-ca), 2 `wgpu-style worker` processes and `wgpu-style batch --queue rediss://… --wait`.
// A worker sent SIGTERM (Kubernetes deleting its pod) mid-image puts its job back on the queue at
// once: the other worker takes it over well before the lock could have run out, and resumes it
// from the checkpoint written at the stop (that a resume ends on the bytes of a run never stopped
// is test/queue's and test/batch's); the stopped worker exits 0, or 143 at a second SIGTERM.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesIn, makeBatchInputs, manifestLines, TINY } from './helpers/batch-images.js';
import { cli } from './helpers/cli.js';
import { freePort, makeTlsFiles, REDIS_SERVER, REDIS_TLS, RedisServer, type TlsFiles } from './helpers/redis.js';
import { endQueueTest, spawnWorker, startWorkers, until, type RunningWorker } from './helpers/queue.js';

const work = mkdtempSync(join(tmpdir(), 'wgpu-style-queue-stop-'));
const path = (name: string) => join(work, name);
const env = { WGPU_STYLE_CACHE: path('cache') };
let files: { weights: string; style: string; inputs: string };
let tls: TlsFiles;
let redis: RedisServer;
const workers: RunningWorker[] = [];
/**
 * Long on purpose: a job taken over after its lock ran out waits at least half of it (the lock is
 * renewed every half), so a takeover well under LOCK_SECONDS / 2 is the put-back, not the expiry.
 */
const LOCK_SECONDS = 30;
const PASSWORD = 'tls-pw-never-printed-41c9';

function startWorker(): RunningWorker {
  const args = ['worker', '--queue', redis.url, '--queue-ca', tls.ca, '--weights', files.weights];
  args.push('--lock-seconds', String(LOCK_SECONDS), '--stalled-seconds', '1');
  return spawnWorker(args, work, env);
}

const batch = (inputs: string, out: string, ...more: string[]) =>
  cli(['batch', inputs, '--style', files.style, '--weights', files.weights, ...TINY, '-o', out, ...more], { cwd: work, env });
const queued = (inputs: string, out: string, ...more: string[]) =>
  batch(inputs, out, '--queue', redis.url, '--queue-ca', tls.ca, '--wait', ...more);

beforeAll(async () => {
  if (!REDIS_TLS) return;
  files = await makeBatchInputs(work, 3);
  mkdirSync(path('redis'));
  mkdirSync(path('tls'));
  tls = makeTlsFiles(path('tls'));
  redis = new RedisServer(await freePort(), path('redis'), PASSWORD, tls);
  await redis.start();
  await startWorkers(workers, 2, startWorker);
}, 150_000);

afterAll(() => endQueueTest(workers, redis, work));

describe.runIf(REDIS_SERVER)('--queue-ca', () => {
  it('is refused in one line when its file cannot be read, or for a plain redis:// URL', async () => {
    const missing = await cli(['worker', '--queue', 'rediss://127.0.0.1:1', '--queue-ca', 'no-such-ca.pem'], { cwd: tmpdir() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--queue-ca no-such-ca\.pem: cannot read it \(ENOENT\); give the PEM file of the CA/);
    writeFileSync(path('not-a-ca.pem'), 'hello');
    const plain = await cli(['worker', '--queue', 'redis://127.0.0.1:1', '--queue-ca', path('not-a-ca.pem')], { cwd: tmpdir() });
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/--queue-ca is for TLS: give a rediss:\/\/ URL/);
    expect(missing.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

// Debian's redis-server is built with TLS; one without it cannot run these.
describe.runIf(REDIS_TLS)('the queue over TLS (rediss://) with a private CA, and SIGTERM', () => {
  it('runs a batch over TLS, the CA given with --queue-ca, the password never printed', async () => {
    const r = await queued(files.inputs, 'tls-out', '--steps', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/3 done, 0 skipped, 0 failed/);
    expect(r.stderr).toContain(`rediss://:***@127.0.0.1:${redis.port}`);
    for (const text of [r.stderr, r.stdout, ...workers.map((w) => w.log)]) expect(text).not.toContain(PASSWORD);
    expect(filesIn(path('tls-out')).filter((n) => n.endsWith('.png'))).toHaveLength(3);
  }, 120_000);

  it('says, while it retries, that the server certificate is not trusted and names --queue-ca', async () => {
    const args = ['batch', files.inputs, '--style', files.style, '-o', 'untrusted', '--queue', redis.url];
    const r = await cli(args, { cwd: work, env, onStderr: (text, child) => /--queue-ca <file>/.test(text) && child.kill('SIGKILL') });
    expect(r.stderr).toMatch(
      /cannot reach Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+ \(try 1: its TLS certificate is not trusted \(self-signed certificate in certificate chain\): give the CA that signed it with --queue-ca <file>\); retrying/,
    );
    expect(r.stderr).not.toContain(PASSWORD);
  }, 60_000);

  it('puts a SIGTERMed worker’s image back on the queue at once; the other resumes it from the stop’s checkpoint', async () => {
    const one = path('one');
    mkdirSync(one);
    writeFileSync(join(one, 'p001.png'), readFileSync(join(files.inputs, 'p001.png')));
    // Periodic checkpoints only to know that the image is under way; the resume is from the stop's own.
    const args = ['--size', '24', '--steps', '40', '--checkpoint-every', '2'];
    const producer = queued(one, 'stopped', ...args);
    await until('a checkpoint', () => readdirSyncSafe(path('stopped/.checkpoints')).some((n) => n.endsWith('.ckpt')));
    const output = path('stopped/p001.png');
    const victim = workers.find((w) => w.log.includes(`-> ${output}`))!;
    const other = workers.find((w) => w !== victim)!;
    const mark = other.log.length;
    victim.child.kill('SIGTERM');
    const stoppedAt = performance.now();
    await until('the takeover', () => other.log.slice(mark).includes(`-> ${output}`), 60);
    const takeover = (performance.now() - stoppedAt) / 1000;
    console.log(`SIGTERM to takeover: ${takeover.toFixed(1)} s (lock ${LOCK_SECONDS} s)`);
    expect(takeover).toBeLessThan(LOCK_SECONDS / 2);
    expect(await victim.exit).toBe(0);
    console.log(`SIGTERM to the worker's exit: ${((performance.now() - stoppedAt) / 1000).toFixed(1)} s`);
    expect(victim.log).toMatch(/p001\.png: requeued \(stopped after step \d+ of scale 1; back on the queue/);
    const r = await producer;
    expect(r.code, r.stderr).toBe(0);
    expect(filesIn(path('stopped'))).toEqual(['manifest.jsonl', 'p001.png']);
    const [stop, done] = manifestLines(path('stopped'));
    expect([stop?.status, done?.status]).toEqual(['stopped', 'done']);
    expect(stop!.by).toContain(`:${victim.child.pid}`);
    expect(done!.by).toContain(`:${other.child.pid}`);
    const step = /stopped after step (\d+) of scale 1/.exec(stop!.message!)![1];
    console.log(`stopped at step ${step} of ${args[3]}`);
    expect(done!.message).toBe(`resumed from its checkpoint (scale 1, step ${step})`);
    workers.splice(workers.indexOf(victim), 1);
  }, 180_000);

  it('quits at once on a second SIGTERM during the stop (exit 143)', async () => {
    const two = path('two');
    mkdirSync(two);
    writeFileSync(join(two, 'p002.png'), readFileSync(join(files.inputs, 'p002.png')));
    const r = await batch(
      two,
      'twice',
      // Steps long enough (at 256 px) that the stop, which waits for the step in progress, is still
      // going when the second SIGTERM comes: at 24 px the whole stop took under 50 ms, and the
      // worker had exited 0 before the second signal.
      '--size',
      '256',
      '--steps',
      '400',
      '--checkpoint-every',
      '4',
      '--queue',
      redis.url,
      '--queue-ca',
      tls.ca,
    );
    expect(r.code, r.stderr).toBe(0);
    await until('a checkpoint', () => readdirSyncSafe(path('twice/.checkpoints')).some((n) => n.endsWith('.ckpt')));
    const last = workers.find((w) => w.log.includes(`-> ${path('twice/p002.png')}`));
    last!.child.kill('SIGTERM');
    await until('the stop to begin', () => last!.log.includes('SIGTERM: stopping'));
    last!.child.kill('SIGTERM');
    expect(await last!.exit, last!.log).toBe(143);
    expect(last!.log).toMatch(/SIGTERM: stopping the image in progress/);
    workers.splice(workers.indexOf(last!), 1);
  }, 120_000);
});

function readdirSyncSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
