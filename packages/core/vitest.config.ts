import { defineConfig } from 'vitest/config';

// Resolve workspace packages to their TypeScript sources (the "source" export
// condition) so tests never run against a stale dist/.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  // MULTIFD_POISON: buffers are poisoned and detached when recycled, so a view
  // used after its lease is released fails the test (core's buffers/lease.ts).
  test: {
    env: { MULTIFD_POISON: '1' },
    include: ['test/**/*.test.ts'], testTimeout: 30_000,
  },
});
