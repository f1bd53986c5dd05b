// src/node/file-lock.ts: one holder at a time, stale locks taken over once, the lock always removed.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_STALE_MS, withFileLock } from '../src/node/file-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'wgpu-style-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('withFileLock', () => {
  it('takes over a stale lock, then lets one holder in at a time', async () => {
    const lock = join(dir, 'a.lock');
    writeFileSync(lock, `${deadPid()}\n`);
    let holders = 0;
    let most = 0;
    const order: number[] = [];
    const waited: Array<number | null> = [];
    await Promise.all(
      [0, 1, 2, 3].map((k) =>
        withFileLock(
          lock,
          async () => {
            most = Math.max(most, ++holders);
            await sleep(60);
            order.push(k);
            holders--;
          },
          { pollMs: 10, onWait: (pid) => waited.push(pid) },
        ),
      ),
    );
    expect(most).toBe(1);
    expect(order.sort()).toEqual([0, 1, 2, 3]);
    expect(waited.every((pid) => pid === process.pid)).toBe(true); // they waited for this process's holder
    expect(existsSync(lock)).toBe(false);
  });

  it('removes the lock when the work fails, and passes the error on', async () => {
    const lock = join(dir, 'b.lock');
    await expect(withFileLock(lock, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lock)).toBe(false);
  });

  it('says why it cannot create a lock in a folder that does not exist', async () => {
    await expect(withFileLock(join(dir, 'missing', 'c.lock'), async () => 1)).rejects.toThrow(
      /cannot create the lock file .*c\.lock \(ENOENT\)/,
    );
  });

  // Before: each of these waited forever, without a word naming the lock file.
  it('takes over a lock held by a live process that has not touched it for staleMs (pid 1: not a wgpu-style)', async () => {
    const lock = join(dir, 'live.lock');
    writeFileSync(lock, '1\n');
    const waited: number[] = [];
    const started = performance.now();
    const result = await withFileLock(lock, async () => readFileSync(lock, 'utf8'), {
      pollMs: 10,
      staleMs: 300,
      onWait: (pid) => waited.push(pid),
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(result).toMatch(new RegExp(`^${process.pid}\n`)); // held by this process meanwhile
    expect(waited).toEqual([1]);
    expect(existsSync(lock)).toBe(false);
  }, 5000);

  it('takes over at once a lock of a live pid untouched for longer than LOCK_STALE_MS', async () => {
    const lock = join(dir, 'old.lock');
    writeFileSync(lock, '1\n');
    const past = (Date.now() - LOCK_STALE_MS - 5000) / 1000;
    utimesSync(lock, past, past);
    const waited: number[] = [];
    const started = performance.now();
    await withFileLock(lock, async () => undefined, { onWait: (pid) => waited.push(pid) });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(waited).toEqual([]);
  }, 5000);

  it('keeps its lock fresh while it holds it: a waiter does not take it over, however long the work', async () => {
    const lock = join(dir, 'fresh.lock');
    const options = { pollMs: 10, staleMs: 200, heartbeatMs: 40 };
    let holders = 0;
    let most = 0;
    const work = async () => {
      most = Math.max(most, ++holders);
      await sleep(700);
      holders--;
    };
    const first = withFileLock(lock, work, options);
    await sleep(20);
    await Promise.all([first, withFileLock(lock, work, options)]);
    expect(most).toBe(1);
    expect(existsSync(lock)).toBe(false);
  }, 5000);

  it('refuses a lock path that is a folder, at once, naming it and the fix', async () => {
    const lock = join(dir, 'folder.lock');
    mkdirSync(lock);
    await expect(withFileLock(lock, async () => 1)).rejects.toThrow(
      new RegExp(
        `^the lock file ${lock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is a folder, not a lock wgpu-style made; remove it, then run the command again$`,
      ),
    );
    expect(existsSync(lock)).toBe(true); // not ours to remove
  }, 5000);
});
