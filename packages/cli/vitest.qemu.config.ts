import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packages = fileURLToPath(new URL('..', import.meta.url));

// Live interop tests with real QEMU 7.2 (`npm run test:qemu`), apart from
// `npm test`. The commands under test run as child processes from the build
// (dist/bin.js), which test/global-setup.ts brings up to date first. One file
// at a time: QEMU (TCG) and the commands share the machine's 2 cores. Every
// test sets its own hard timeout and kills its QEMUs and children afterwards.
export default defineConfig({
  resolve: {
    alias: [{ find: /^@multifd\/qemu-harness$/, replacement: `${packages}qemu-harness/src/index.ts` }],
  },
  // MULTIFD_POISON: buffers are poisoned and detached when recycled, so a view
  // used after its lease is released fails the test (core's buffers/lease.ts).
  test: {
    env: { MULTIFD_POISON: '1' },
    include: ['test-qemu/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
