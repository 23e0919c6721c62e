import { defineConfig } from 'vitest/config';

// Unlike the other packages, transport is tested against its build (dist/):
// channel workers are separate threads that load compiled files next to the
// module that starts them, so the tests must run that same compiled module.
export default defineConfig({
  // MULTIFD_POISON: buffers are poisoned and detached when recycled, so a view
  // used after its lease is released fails the test (core's buffers/lease.ts).
  test: {
    env: { MULTIFD_POISON: '1' },
    include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 30_000,
  },
});
