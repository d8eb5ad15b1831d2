import { defineConfig } from 'vitest/config';

// The mesh stories (`nx run e2e:mesh`, run by .ci/run after npm test): the Weather sample on the local
// platform, as root. Long, so not part of `npm test`.
export default defineConfig({
  test: {
    include: ['mesh/**/*.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 420_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
