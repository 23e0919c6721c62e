/**
 * `multifd proxy` between a QEMU 7.2 source and a QEMU 7.2 destination,
 * changing codec and channel count on the way: both sides complete and the
 * destination's memory equals the source's.
 */
import { describe, expect, it } from 'vitest';
import { configureMultifd, migrate, migrateIncoming, startQemu, waitForMigration, type MultifdCompression } from '@multifd/qemu-harness';
import { expectCliSuccess, startCli } from './cli-process.js';
import {
  BLOB_ADDR,
  DEV_BLOB,
  METHOD,
  cleanupAfterEach,
  completedDestination,
  describePages,
  dumpGuest,
  namedPagesBlob,
  pcRamDifferences,
  requireQemu72,
  tempDir,
} from './helpers.js';

requireQemu72();
cleanupAfterEach();

describe('QEMU 7.2 source -> multifd proxy -> QEMU 7.2 destination', () => {
  it.each<[MultifdCompression, number, MultifdCompression, number, number?]>([
    ['none', 2, 'zstd', 3],
    ['zstd', 2, 'none', 1],
    // The proxy's output slower than its input (40 MiB of self-naming pages, zlib x1 out of
    // none x2): decoded packets wait for a staging slot while the sockets are read on.
    ['none', 2, 'zlib', 1, 40],
  ])(
    'source %s x%i -> destination %s x%i: both complete, destination memory equals the source',
    async (inCompression, inChannels, outCompression, outChannels, blobMiB) => {
      const dir = tempDir();
      const blob = blobMiB ? namedPagesBlob(dir, blobMiB) : DEV_BLOB;
      const [source, destination] = await Promise.all([
        startQemu({ name: 'source', loaders: [{ file: blob, addr: BLOB_ADDR }] }),
        startQemu({ name: 'destination', incomingDefer: true }),
      ]);
      await configureMultifd(source, { channels: inChannels, compression: inCompression });
      await configureMultifd(destination, { channels: outChannels, compression: outCompression });
      const to = (await migrateIncoming(destination)).replace(/^tcp:/, '');
      const proxy = startCli([
        'proxy',
        '--listen',
        '127.0.0.1:0',
        '--to',
        to,
        '--channels',
        String(inChannels),
        '--in-method',
        METHOD[inCompression],
        '--out-channels',
        String(outChannels),
        '--out-method',
        METHOD[outCompression],
      ]);
      const expected = await dumpGuest(source, dir, 'source'); // paused (-S): nothing changes it
      const port = await proxy.listening();

      await migrate(source, `tcp:127.0.0.1:${port}`);
      const sourceInfo = await waitForMigration(source, { timeoutMs: 30_000 });
      expect(sourceInfo.status).toBe('completed');
      const result = await expectCliSuccess(proxy, 30_000);
      expect(result.stdout).toMatch(/^proxied /);
      const memory = await completedDestination(destination, dir);
      expect(describePages(pcRamDifferences(memory, expected))).toBe('none');
      expect(memory.subarray(0x100000, 0x500000).equals(expected.subarray(0x100000, 0x500000))).toBe(true);
    },
    60_000,
  );
});
