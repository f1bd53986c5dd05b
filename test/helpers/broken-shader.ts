// A second context on the same device whose copy of one shader has a deliberate bug, to show that
// a kernel's checks fail on a wrong kernel. Never destroy it: it shares the test file's device.

import { GpuContext } from '../../src/gpu/index.js';
import { loadShaders } from '../../src/node/shaders.js';

export function withBrokenShader(ctx: GpuContext, shader: string, correct: string, broken: string): GpuContext {
  const sources = loadShaders();
  const source = sources[shader];
  if (source === undefined || !source.includes(correct)) throw new Error(`shaders/${shader}.wgsl has no "${correct}" to break`);
  return new GpuContext(ctx.device, ctx.adapter, { ...sources, [shader]: source.replace(correct, broken) });
}
