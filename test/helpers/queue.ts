// `wgpu-style worker` processes for the queue tests (test/queue, queue-stop, queue-video): each a
// child of this test with its stderr collected, started together and waited for until each waits
// for images; a poll until a condition holds; and the end of such a test (workers killed, Redis
// stopped, its folder removed).

import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisServer } from './redis.js';
import { REPO_ROOT } from './shared.js';

export interface RunningWorker {
  child: ChildProcess;
  /** Its stderr so far. */
  log: string;
  /** Its exit code (null when killed by a signal). */
  exit: Promise<number | null>;
}

/** `wgpu-style <args>` (args[0] is 'worker') in `cwd`, with `env` over this process's. */
export function spawnWorker(args: string[], cwd: string, env: Record<string, string>): RunningWorker {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'wgpu-style.js'), ...args], { cwd, env: { ...process.env, ...env } });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const w = { child, log: '', exit };
  child.stderr!.on('data', (d: Buffer) => (w.log += d));
  return w;
}

/** Polls `test` every 50 ms until it holds; throws after `seconds`, naming `what`. */
export async function until(what: string, test: () => boolean, seconds = 60): Promise<void> {
  for (let waited = 0; !test(); waited += 0.05) {
    if (waited > seconds) throw new Error(`waited ${seconds} s for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `count` workers from `start` into `workers`, waited for (120 s) until each waits for images; else each one's exit and log. */
export async function startWorkers(workers: RunningWorker[], count: number, start: () => RunningWorker): Promise<void> {
  for (let i = 0; i < count; i++) workers.push(start());
  await until('the workers', () => workers.every((w) => w.log.includes('waiting for images')), 120).catch((err: Error) => {
    throw new Error(`${err.message}: ${workers.map((w) => `exit ${w.child.exitCode}: ${w.log}`).join('\n')}`);
  });
}

/** The workers killed, Redis stopped (when it was started), the test's folder removed. */
export async function endQueueTest(workers: RunningWorker[], redis: RedisServer | undefined, work: string): Promise<void> {
  for (const w of workers) w.child.kill('SIGKILL');
  await redis?.stop();
  rmSync(work, { recursive: true, force: true });
}
