import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// lavapipe is a 2-core CPU: one test file at a time, so tests never fight over the cores,
// and one Dawn instance per worker process.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests never touch the user's weights or autotuning cache.
    env: { WGPU_STYLE_CACHE: join(tmpdir(), 'wgpu-style-test-cache') },
  },
});
