/**
 * QEMU 7.2 source -> `multifd receive`: the paused 64 MiB guest with
 * blobs/dev-1.bin at 0x100000, every codec at 1, 2 and 4 channels. The
 * received pc.ram must equal the source's memory bit for bit, and every other
 * RAMBlock must be there with the used length QEMU reports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configureMultifd, migrate, startQemu, waitForMigration, type MultifdCompression } from '@multifd/qemu-harness';
import { expectCliSuccess, startCli } from './cli-process.js';
import {
  BLOB_ADDR,
  DEV_BLOB,
  GUEST_BYTES,
  HLT_BIOS,
  HOLE_END,
  HOLE_START,
  METHOD,
  PAGE,
  blockFile,
  cleanupAfterEach,
  describePages,
  dumpGuest,
  isZero,
  pcRamDifferences,
  ramBlocks,
  readJson,
  requireQemu72,
  tempDir,
  type ReceiveIndex,
} from './helpers.js';

requireQemu72();
cleanupAfterEach();

const CASES: [MultifdCompression, number][] = (['none', 'zlib', 'zstd'] as const).flatMap((c) => [1, 2, 4].map((n): [MultifdCompression, number] => [c, n]));

describe('QEMU 7.2 source -> multifd receive', () => {
  it.each(CASES)(
    '%s, %i channel(s): receive exits 0 and pc.ram equals the source, every RAMBlock at its used length',
    async (compression, channels) => {
      const dir = tempDir();
      const out = path.join(dir, 'out');
      const method = METHOD[compression];
      // QEMU and the receiver start side by side (node takes about a second to listen).
      const receive = startCli(['receive', '--listen', '127.0.0.1:0', '--channels', String(channels), '--method', method, '--out', out]);
      const source = await startQemu({ name: 'source', loaders: [{ file: DEV_BLOB, addr: BLOB_ADDR }] });
      await configureMultifd(source, { channels, compression });
      const expected = await dumpGuest(source, dir, 'source'); // paused (-S): nothing changes it
      const blocks = await ramBlocks(source);
      const port = await receive.listening();

      await migrate(source, `tcp:127.0.0.1:${port}`);
      const info = await waitForMigration(source, { timeoutMs: 30_000 });
      expect(info.status).toBe('completed');
      const result = await expectCliSuccess(receive, 20_000);
      expect(result.stdout).toMatch(new RegExp(`^received ${method}: ${channels} channels?, \\d+ epochs`));

      const index = readJson<ReceiveIndex>(path.join(out, 'index.json'));
      expect(index.method).toBe(method);
      expect(index.channels.map((c) => c.id)).toEqual([...Array(channels).keys()]);
      expect(index.epochs).toBeGreaterThanOrEqual(3);
      expect(index.syncMode).toBe('eos');
      // One SYNC per channel for every EOS record of the main stream.
      for (const channel of index.channels) expect(channel.syncs).toBe(index.epochs);
      expect(index.channels.reduce((sum, c) => sum + c.pages, 0)).toBeGreaterThan(0);
      expect(index.mainStream).toMatchObject({ machine: 'pc-i440fx-7.2', pageRecords: 0 });
      expect(index.warnings).toEqual([]);
      expect(fs.statSync(path.join(out, 'main.bin')).size).toBe(index.mainStream!.bytes);

      // Every RAMBlock QEMU has, at its used length, complete.
      expect(index.ramblocks.map((b) => b.name).sort()).toEqual(blocks.map((b) => b.name).sort());
      for (const block of blocks) {
        const entry = index.ramblocks.find((b) => b.name === block.name)!;
        expect(entry, block.name).toMatchObject({ usedLength: block.usedLength, pages: block.usedLength / PAGE, missing: 0 });
        expect(fs.statSync(blockFile(out, block.name)).size, block.name).toBe(block.usedLength);
      }

      const pcRam = fs.readFileSync(blockFile(out, 'pc.ram'));
      expect(pcRam.length).toBe(GUEST_BYTES);
      expect(describePages(pcRamDifferences(pcRam, expected))).toBe('none');
      expect(pcRam.subarray(BLOB_ADDR, BLOB_ADDR + 0x400000).equals(fs.readFileSync(DEV_BLOB))).toBe(true);
      expect(isZero(pcRam.subarray(HOLE_START, HOLE_END))).toBe(true); // nothing writes pc.ram under the hole
      expect(fs.readFileSync(blockFile(out, 'pc.bios')).equals(fs.readFileSync(HLT_BIOS))).toBe(true);
    },
    60_000,
  );
});
