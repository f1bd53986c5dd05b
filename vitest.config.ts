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
  },
});
