import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packages = fileURLToPath(new URL('..', import.meta.url));

// Workspace packages resolve to their TypeScript sources, so tests never run
// against a stale dist/ (as in packages/core), but through aliases, not the
// "source" export condition: vitest hands resolve conditions to the test
// process's execArgv, which worker threads inherit, and the fuzzer's workers
// and the transport's channel workers are plain Node that load builds. The
// transport runs from its build for that reason; test/global-setup.ts brings
// the builds up to date first.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@multifd\/(core|nocomp|zlib|zstd)$/, replacement: `${packages}$1/src/index.ts` },
      { find: /^@multifd\/transport$/, replacement: `${packages}transport/dist/index.js` },
    ],
  },
  // MULTIFD_POISON: buffers are poisoned and detached when recycled, so a view
  // used after its lease is released fails the test (core's buffers/lease.ts).
  test: {
    env: { MULTIFD_POISON: '1' },
    include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000, globalSetup: ['test/global-setup.ts'],
  },
});
