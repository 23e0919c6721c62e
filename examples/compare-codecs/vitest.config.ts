import { defineConfig } from 'vitest/config';

// The test runs the built script (dist/, built by the root `npm ci`) as a user would.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 120_000 },
});
