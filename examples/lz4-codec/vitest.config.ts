import { defineConfig } from 'vitest/config';

// Tests import this package by its name, as its users do: they run against
// dist/ (built by the root `npm ci`), which is also what the transport's
// channel workers load.
export default defineConfig({
  // MULTIFD_POISON: buffers are poisoned and detached when recycled, so a view
  // used after its lease is released fails the test (core's buffers/lease.ts).
  test: {
    env: { MULTIFD_POISON: '1' },
    include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 30_000,
  },
});
