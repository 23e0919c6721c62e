import { defineConfig } from 'vitest/config';

// Tests against real QEMU: one file at a time (2 cores, TCG), long timeouts.
// Each test also sets its own hard timeout and kills its QEMUs in afterEach.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  // MULTIFD_POISON: buffers are poisoned and detached when recycled, so a view
  // used after its lease is released fails the test (core's buffers/lease.ts).
  test: {
    env: { MULTIFD_POISON: '1' },
    include: ['test-qemu/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 30_000,
  },
});
