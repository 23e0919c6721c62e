import { defineConfig } from 'vitest/config';

// The test runs the built example (dist/, built by the root `npm ci`) as a user would.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
