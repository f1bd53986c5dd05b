// GPU milliseconds of a piece of work: timestamp queries when the adapter has them, else wall
// time around a full sync. Used by the autotuner and the benchmark.

import type { GpuContext } from './context.js';
import type { DeviceTensor } from './tensor.js';

/**
 * Runs `run` warmUp + runs times (its outputs are released) and returns the timed runs' ms.
 * Work shorter than the timestamp resolution (some drivers quantise to ~0.1 ms) reads as 0; such
 * a run is timed again by wall clock, an upper bound, so no figure is ever 0.
 */
export async function measureGpuMs(ctx: GpuContext, run: () => DeviceTensor[], runs: number, warmUp = 2): Promise<number[]> {
  const wall = async () => {
    await ctx.sync();
    const started = performance.now();
    const outs = run();
    await ctx.sync();
    for (const t of outs) t.release();
    return performance.now() - started;
  };
  const once = async () => {
    if (!ctx.profiler.supported) return wall();
    ctx.startProfiling();
    const outs = run();
    const timings = await ctx.stopProfiling();
    for (const t of outs) t.release();
    const ms = timings.reduce((a, t) => a + t.ms, 0);
    return ms > 0 ? ms : wall();
  };
  for (let i = 0; i < warmUp; i++) await once(); // the first run compiles (lavapipe compiles at dispatch)
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  return times;
}
