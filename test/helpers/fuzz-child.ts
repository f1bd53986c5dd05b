// Runs a fuzz child: a script under test/helpers that prints `case <name>` before each case and one
// `result <json>` line at the end. It runs in a process of its own for a clean maxRSS, and is
// stopped when one case runs past `hangMs` (twice that for the start), so a hang fails the test.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './shared.js';

export function runFuzzChild<T>(script: string, args: readonly string[], what: string, hangMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'helpers', script), ...args], { cwd: REPO_ROOT });
    let [out, err, current] = ['', '', '(starting)'];
    let watchdog = setTimeout(() => stop(), hangMs * 2); // startup included
    const stop = () => {
      child.kill('SIGKILL');
      reject(new Error(`a ${what} case ran for over ${hangMs / 1000} s: ${current}`));
    };
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const last = out
        .split('\n')
        .filter((l) => l.startsWith('case '))
        .at(-1);
      if (last && last !== current) {
        current = last;
        clearTimeout(watchdog);
        watchdog = setTimeout(stop, hangMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('close', (code) => {
      clearTimeout(watchdog);
      const line = out.split('\n').find((l) => l.startsWith('result '));
      if (code !== 0 || !line) reject(new Error(`the ${what} fuzz child exited with ${code} after ${current}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(line.slice('result '.length)) as T);
    });
  });
}
