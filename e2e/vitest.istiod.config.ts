import { defineConfig } from 'vitest/config';

// The istiod story (`nx run e2e:istiod`): weft-proxy under a real istiod on a real kube-apiserver, the Go
// peers built by scripts/peers/build-go-peers.sh. Long and needs those binaries, so not part of `npm test`.
export default defineConfig({
  test: {
    include: ['istiod/**/*.test.ts'],
    environment: 'node',
    testTimeout: 180_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
