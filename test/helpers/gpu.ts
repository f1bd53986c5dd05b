// One GPU context per test file, created before its tests and destroyed after.

import { afterAll, beforeAll } from 'vitest';
import type { GpuContext } from '../../src/gpu/index.js';
import { createNodeContext } from '../../src/node/gpu.js';

export function useGpu(): () => GpuContext {
  let ctx: GpuContext | undefined;
  beforeAll(async () => {
    ctx = await createNodeContext();
  });
  afterAll(() => {
    ctx?.destroy();
  });
  return () => {
    if (!ctx) throw new Error('GPU context not created yet');
    return ctx;
  };
}
