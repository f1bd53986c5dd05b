// WebGPU reports validation and out-of-memory errors asynchronously, through error scopes and the
// device's uncapturederror event. This collects them per labelled piece of work and turns them into
// one GpuError naming the kernel (or allocation) that caused the first.

import { GpuError } from './errors.js';

type PendingError = Promise<string | null>;

export class ErrorScopes {
  private pending: PendingError[] = [];
  private uncaptured: string[] = [];

  constructor(private readonly device: GPUDevice) {
    device.addEventListener('uncapturederror', (event) => {
      this.uncaptured.push((event as GPUUncapturedErrorEvent).error.message);
    });
  }

  /** Runs `fn` inside validation and out-of-memory error scopes labelled `label`. */
  run<T>(label: string, fn: () => T): T {
    this.device.pushErrorScope('validation');
    this.device.pushErrorScope('out-of-memory');
    let result: T;
    try {
      result = fn();
    } finally {
      const oom = this.device.popErrorScope();
      const validation = this.device.popErrorScope();
      this.pending.push(
        Promise.all([oom, validation]).then(([o, v]) => {
          if (o) return `${label}: out of GPU memory (${o.message}). Use a smaller image size.`;
          if (v) return `${label}: ${v.message}`;
          return null;
        }),
      );
    }
    return result;
  }

  /** Waits for the scopes opened so far; throws the first error they (or the device) reported. */
  async check(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    const messages = (await Promise.all(pending)).filter((m): m is string => m !== null);
    messages.push(...this.uncaptured.splice(0));
    if (messages.length > 0) {
      const more = messages.length > 1 ? ` (and ${messages.length - 1} more error(s): ${messages.slice(1, 4).join(' | ')})` : '';
      throw new GpuError(messages[0]! + more);
    }
  }
}
