import { defineConfig } from 'vitest/config';

// Tests against real QEMU: one file at a time (2 cores, TCG), long timeouts.
// Each test also sets its own hard timeout and kills its QEMUs in afterEach.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['test-qemu/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 30_000,
  },
});
