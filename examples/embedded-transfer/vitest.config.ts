import { defineConfig } from 'vitest/config';

// The test runs the built example (dist/, built by the root `npm ci`) as a user would.
export default defineConfig({
  // MULTIFD_POISON: buffers are poisoned and detached when recycled, so a view
  // used after its lease is released fails the test (core's buffers/lease.ts).
  test: {
    env: { MULTIFD_POISON: '1' },
    include: ['test/**/*.test.ts'], testTimeout: 60_000,
  },
});
