import { defineConfig } from 'vitest/config';

// Unlike the other packages, transport is tested against its build (dist/):
// channel workers are separate threads that load compiled files next to the
// module that starts them, so the tests must run that same compiled module.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 30_000 },
});
