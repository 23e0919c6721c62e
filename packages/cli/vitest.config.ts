import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packages = fileURLToPath(new URL('..', import.meta.url));

// Workspace packages resolve to their TypeScript sources so tests never run
// against a stale dist/, through aliases rather than the "source" export
// condition: vitest passes resolve conditions on to the test process's
// execArgv, which worker threads inherit, and the transport's channel
// workers are plain Node that must load the builds. The transport itself
// runs from its build for the same reason (its workers are compiled files
// next to the module that starts them); test/global-setup.ts brings every
// build up to date first.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@multifd\/(core|nocomp|zlib|zstd)$/, replacement: `${packages}$1/src/index.ts` },
      { find: /^@multifd\/transport$/, replacement: `${packages}transport/dist/index.js` },
      { find: /^@multifd\/qemu-harness$/, replacement: `${packages}qemu-harness/src/index.ts` },
    ],
  },
  // MULTIFD_POISON: buffers are poisoned and detached when recycled, so a view
  // used after its lease is released fails the test (core's buffers/lease.ts).
  test: {
    env: { MULTIFD_POISON: '1' },
    include: ['test/**/*.test.ts'], testTimeout: 30_000, globalSetup: ['test/global-setup.ts'],
  },
});
