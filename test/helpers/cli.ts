// Runs the wgpu-style CLI in a child process (asynchronously, so that a test's own HTTP server
// keeps answering meanwhile).

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './shared.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A run's progress on stderr, which a refusal may follow: its phase lines (src/style/phase-text.ts:
 * 'loading the GPU device', 'scale 1/2: tuning 3/13 shapes …', …) and Dawn's limit warnings.
 * Progress belongs on stderr on a pipe too (a long run's log shows where it is); a test of a
 * refusal's one line drops these and expects nothing else.
 */
export const PROGRESS_LINE = /^((scale \d+\/\d+: )?(loading |tuning |style and content targets|steps)|Warning: .*artificially reduced)/;

export function cli(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; onStderr?: (text: string, child: ChildProcess) => void },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'wgpu-style.js'), ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      timeout: 300_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
