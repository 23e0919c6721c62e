import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEV_BLOB, migratePair, readGuestMemory, type MultifdCompression } from '../src/index.js';
import { QEMU, firstDifference, killQemuAfterEach, requireQemu } from './helpers.js';

requireQemu();
killQemuAfterEach();

const MEMORY_MIB = 64;

describe(`QEMU → QEMU multifd migration on ${QEMU?.text}`, () => {
  it.each<MultifdCompression>(['none', 'zstd'])(
    '2 channels, %s: completed, destination memory equals the source',
    async (compression) => {
      const pair = await migratePair({
        vm: { memoryMiB: MEMORY_MIB, loaders: [{ file: DEV_BLOB, addr: 0x100000 }] },
        multifd: { channels: 2, compression },
        timeoutMs: 30_000,
      });
      const { sourceInfo, destinationInfo } = pair;
      expect(sourceInfo.status).toBe('completed');
      expect(destinationInfo.status).toBe('completed');
      // The blob's 847 non-zero pages (1024 minus 177 all-zero) plus BIOS/ROM pages went over multifd.
      expect(sourceInfo.ram?.['normal-bytes']).toBeGreaterThanOrEqual(847 * 4096);
      expect(sourceInfo.ram?.['multifd-bytes']).toBeGreaterThan(0);
      console.log(`[qemu-harness] 64 MiB, 2ch ${compression}: total-time ${sourceInfo['total-time']} ms, wall ${pair.wallMs.toFixed(0)} ms`);

      const size = MEMORY_MIB * 1024 * 1024;
      const source = await readGuestMemory(pair.source, 0, size);
      const destination = await readGuestMemory(pair.destination, 0, size);
      expect(firstDifference(destination, source)).toBeUndefined();
      expect(firstDifference(destination.subarray(0x100000, 0x500000), fs.readFileSync(DEV_BLOB))).toBeUndefined();
      expect(await pair.destination.execute('query-status')).toMatchObject({ running: false });
      await pair.kill();
    },
    90_000,
  );
});
