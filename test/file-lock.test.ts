// src/node/file-lock.ts: one holder at a time, stale locks taken over once, the lock always removed.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withFileLock } from '../src/node/file-lock.js';

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
});
