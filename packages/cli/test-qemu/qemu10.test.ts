/**
 * QEMU 10.0 as a peer (issue 8): its default machine sends zero pages inside
 * multifd packets (zero-page-detection=multifd), syncs on MULTIFD_FLUSH
 * records and numbers method bits one-hot. `receive` must take it without
 * being told, and `proxy --profile qemu-10` must relay it to a QEMU 10.0
 * destination with another codec and channel count.
 *
 * QEMU 10.0.2 comes from Debian's bookworm-backports, unpacked into a
 * private prefix by .ci/install-qemu-10 (default .cache/qemu-10.0, or
 * $MULTIFD_QEMU10_PREFIX), next to the system's 7.2.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { configureMultifd, migrate, migrateIncoming, qemuVersion, startQemu, waitForMigration, type MultifdCompression, type QemuOptions } from '@multifd/qemu-harness';
import { expectCliSuccess, startCli } from './cli-process.js';
import {
  BLOB_ADDR,
  DEV_BLOB,
  METHOD,
  blockFile,
  cleanupAfterEach,
  completedDestination,
  describePages,
  dumpGuest,
  namedPagesBlob,
  pcRamDifferences,
  readJson,
  tempDir,
  type ReceiveIndex,
} from './helpers.js';

const PREFIX = process.env['MULTIFD_QEMU10_PREFIX'] ?? path.resolve(new URL('../../..', import.meta.url).pathname, '.cache/qemu-10.0');
const QEMU10: QemuOptions = { binary: path.join(PREFIX, 'usr/bin/qemu-system-x86_64'), dataDir: path.join(PREFIX, 'usr/share/qemu') };
const VERSION = fs.existsSync(QEMU10.binary!) ? await qemuVersion(QEMU10.binary) : undefined;

// Fail (never skip) each test when QEMU 10.0 is missing: CI installs it first.
beforeEach(() => {
  if (!VERSION || VERSION.major !== 10 || VERSION.minor !== 0) {
    throw new Error(`QEMU 10.0 is needed at ${QEMU10.binary} (found ${VERSION ? `${VERSION.major}.${VERSION.minor}` : 'nothing'}): run .ci/install-qemu-10`);
  }
});
cleanupAfterEach();

const CASES: [MultifdCompression, number][] = (['none', 'zlib', 'zstd'] as const).flatMap((c) => [1, 2, 4].map((n): [MultifdCompression, number] => [c, n]));

describe('QEMU 10.0 source (default machine, zero pages in packets) -> multifd receive', () => {
  it.each(CASES)(
    '%s, %i channel(s): pc.ram equals the source; syncs on FLUSH records, zero pages came in packets',
    async (compression, channels) => {
      const dir = tempDir();
      const out = path.join(dir, 'out');
      const method = METHOD[compression];
      const receive = startCli(['receive', '--listen', '127.0.0.1:0', '--channels', String(channels), '--out', out]);
      const source = await startQemu({ ...QEMU10, name: 'source', loaders: [{ file: DEV_BLOB, addr: BLOB_ADDR }] });
      await configureMultifd(source, { channels, compression });
      const expected = await dumpGuest(source, dir, 'source');
      const port = await receive.listening();

      await migrate(source, `tcp:127.0.0.1:${port}`);
      expect((await waitForMigration(source, { timeoutMs: 30_000 })).status).toBe('completed');
      await expectCliSuccess(receive, 20_000);

      const index = readJson<ReceiveIndex & { zeroPages: number }>(path.join(out, 'index.json'));
      expect(index.method).toBe(method);
      expect(index.syncMode).toBe('flush');
      expect(index.mainStream).toMatchObject({ machine: 'pc-i440fx-10.0', zeroRecords: 0 });
      expect(index.channels.reduce((n, c) => n + (c as { zeroPages: number }).zeroPages, 0)).toBeGreaterThan(15_000);
      expect(index.ramblocks.every((b) => b.missing === 0)).toBe(true);
      const wrong = pcRamDifferences(fs.readFileSync(blockFile(out, 'pc.ram')), expected);
      expect(wrong, describePages(wrong)).toEqual([]);
    },
    90_000,
  );
});

describe('QEMU 10.0 -> multifd proxy --profile qemu-10 -> QEMU 10.0', () => {
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
        startQemu({ ...QEMU10, name: 'source', loaders: [{ file: blob, addr: BLOB_ADDR }] }),
        startQemu({ ...QEMU10, name: 'destination', incomingDefer: true }),
      ]);
      await configureMultifd(source, { channels: inChannels, compression: inCompression });
      await configureMultifd(destination, { channels: outChannels, compression: outCompression });
      const to = (await migrateIncoming(destination)).replace(/^tcp:/, '');
      const proxy = startCli([
        'proxy', '--listen', '127.0.0.1:0', '--to', to, '--channels', String(inChannels),
        '--out-channels', String(outChannels), '--out-method', METHOD[outCompression], '--profile', 'qemu-10',
      ]);
      const expected = await dumpGuest(source, dir, 'source');
      const port = await proxy.listening();

      await migrate(source, `tcp:127.0.0.1:${port}`);
      expect((await waitForMigration(source, { timeoutMs: 30_000 })).status).toBe('completed');
      const got = await completedDestination(destination, dir);
      await expectCliSuccess(proxy, 20_000);
      expect(describePages(pcRamDifferences(got, expected))).toBe('none');
      // Guest-physical dumps on both sides, ROM and hole included: equal whole.
      expect(Buffer.compare(got, expected)).toBe(0);
    },
    90_000,
  );
});
