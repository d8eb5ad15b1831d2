import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Stories start real processes; one file at a time keeps the 2-core machine predictable.
    fileParallelism: false,
  },
});
