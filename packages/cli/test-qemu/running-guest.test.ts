/**
 * A running guest migrated live from QEMU 7.2 into `multifd receive`, zstd
 * over 2 channels, as in fixtures/qemu-7.2/running-zstd-2ch: the guest's
 * BIOS (bios-dirty.S) keeps rewriting the 128 pages at 0x10000..0x8ffff,
 * max-bandwidth 8 MiB/s and downtime-limit 5 ms keep the migration iterating,
 * and the limit goes up to 300 ms after a few dirty-sync rounds so it ends.
 *
 * The machine has no KVM, and under TCG a 7.2 source does not re-send the
 * pages the guest keeps writing (in five runs here none of the 128 was sent
 * in the final epoch, and 69 to 127 were stale; likely cause: TCG marks a
 * page dirty only on the slow path of its TLB, and nothing re-arms that path
 * after the migration bitmap sync). So the destination legitimately ends up
 * with older copies of those pages than the source's final RAM.
 * A tee records every connection, an independent reader of the capture
 * (wire-scan.ts) lists every copy of every page, and the test checks what is
 * true: receive applied the last copy of every page sent; every page sent in
 * the final epoch (guest stopped) and every page outside the dirty window
 * equals the source's final RAM; any page that differs is in the window and
 * QEMU did not send it in the final epoch. `multifd decode` of the capture
 * must agree with receive exactly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { decompress as zstdDecompress } from 'zstd-napi';
import {
  configureMultifd,
  fixturePath,
  migrate,
  queryMigrate,
  setMigrationParameters,
  startQemu,
  type MigrationInfo,
} from '@multifd/qemu-harness';
import { startCaptureTee } from './capture-tee.js';
import { expectCliSuccess, runCli, startCli } from './cli-process.js';
import {
  BLOB_ADDR,
  DEV_BLOB,
  GUEST_BYTES,
  PAGE,
  blockFile,
  cleanupAfterEach,
  describePages,
  dumpGuest,
  inHole,
  readJson,
  requireQemu72,
  tempDir,
  type ReceiveIndex,
} from './helpers.js';
import { copyMatches, lastCopies, scanMigration } from './wire-scan.js';

requireQemu72();
cleanupAfterEach();

const CAPTURE = fixturePath('qemu-7.2/running-zstd-2ch');
const DIRTY_BIOS = path.join(CAPTURE, 'bios-dirty-64k.bin');
/** The guest's dirty window: 128 pages at 0x10000..0x8ffff. */
const WINDOW_START = 0x10000;
const WINDOW_END = 0x90000;

interface Manifest {
  multifd_channels: number;
  multifd_compression: 'zstd';
  extra_migrate_parameters: { 'max-bandwidth': number; 'downtime-limit': number };
  running: { run_seconds_before_migrate: number; min_syncs: number; downtime_raised: { 'downtime-limit': number } };
}

describe('a running guest migrated live from QEMU 7.2 (TCG) into multifd receive', () => {
  it('the independent wire reader rebuilds the KVM capture of the same guest (running-zstd-2ch) to its expected RAM', () => {
    const files = fs.readdirSync(CAPTURE).filter((f) => /^conn\d+-.*\.bin$/.test(f));
    const scan = scanMigration(files.map((f) => path.join(CAPTURE, f)));
    expect(scan.method).toBe('zstd');
    expect(scan.epochs).toBe(19);
    const expected = Buffer.from(zstdDecompress(fs.readFileSync(path.join(CAPTURE, 'expected-ram.bin.zst'))));
    expect(expected.length).toBe(GUEST_BYTES);
    const pages = scan.copies.get('pc.ram')!;
    expect(pages.size).toBe(GUEST_BYTES / PAGE);
    const wrong: number[] = [];
    for (const [offset, copies] of pages) {
      if (inHole(offset)) continue;
      const last = lastCopies(copies);
      if (!last.every((c) => copyMatches(c, expected.subarray(offset, offset + PAGE)))) wrong.push(offset);
    }
    expect(describePages(wrong)).toBe('none');
  });

  it(
    'zstd, 2 channels, 8 MiB/s: receive completes over several epochs with the last copy of every page QEMU sent',
    async () => {
      const manifest = readJson<Manifest>(path.join(CAPTURE, 'manifest.json'));
      const channels = manifest.multifd_channels;
      const dir = tempDir();
      const out = path.join(dir, 'out');
      const captured = path.join(dir, 'capture');

      const receive = startCli(['receive', '--listen', '127.0.0.1:0', '--channels', String(channels), '--method', 'zstd', '--out', out]);
      const source = await startQemu({ name: 'source', bios: DIRTY_BIOS, loaders: [{ file: DEV_BLOB, addr: BLOB_ADDR }] });
      await configureMultifd(source, {
        channels,
        compression: manifest.multifd_compression,
        maxBandwidth: manifest.extra_migrate_parameters['max-bandwidth'],
        downtimeLimitMs: manifest.extra_migrate_parameters['downtime-limit'],
      });
      const tee = await startCaptureTee(await receive.listening(), captured);
      try {
        await source.execute('cont');
        await sleep(manifest.running.run_seconds_before_migrate * 1000);
        expect(await source.execute('query-status')).toMatchObject({ status: 'running' });
        await migrate(source, `tcp:127.0.0.1:${tee.port}`);

        // Poll to the end; raise the downtime limit once enough dirty syncs went by.
        const deadline = Date.now() + 60_000;
        let raisedAt: number | undefined;
        let info: MigrationInfo;
        for (;;) {
          info = await queryMigrate(source);
          const syncs = info.ram?.['dirty-sync-count'] as number | undefined;
          if (raisedAt === undefined && syncs !== undefined && syncs >= manifest.running.min_syncs) {
            await setMigrationParameters(source, { 'downtime-limit': manifest.running.downtime_raised['downtime-limit'] });
            raisedAt = syncs;
          }
          if (info.status === 'completed') break;
          if (info.status === 'failed' || info.status === 'cancelled') throw new Error(`migration ${info.status}: ${info['error-desc']}`);
          if (Date.now() > deadline) throw new Error(`migration not finished after 60 s: ${JSON.stringify(info)}`);
          await sleep(20);
        }
        // Completed: the source is paused (postmigrate), so its RAM is final.
        expect(await source.execute('query-status')).toMatchObject({ status: 'postmigrate', running: false });
        const final = await dumpGuest(source, dir, 'source-final');
        await expectCliSuccess(receive, 30_000);
        const files = await tee.finished();

        const index = readJson<ReceiveIndex>(path.join(out, 'index.json'));
        expect(index).toMatchObject({ method: 'zstd', syncMode: 'eos', warnings: [] });
        expect(index.channels.map((c) => c.id)).toEqual([0, 1]);
        expect(index.epochs).toBeGreaterThan(3);
        for (const c of index.channels) expect(c.syncs).toBe(index.epochs);
        for (const b of index.ramblocks) expect(b.missing, b.name).toBe(0);

        // What QEMU put on the wire, read independently of @multifd/core.
        const scan = scanMigration(files);
        expect(scan.method).toBe('zstd');
        expect(scan.epochs).toBe(index.epochs);
        expect([...scan.syncs.values()]).toEqual([index.epochs, index.epochs]);
        expect(fs.readFileSync(path.join(out, 'main.bin')).equals(fs.readFileSync(files.find(isMain)!))).toBe(true);

        // 1. receive holds the last copy QEMU sent of every page, in every RAMBlock.
        const finalEpoch = scan.epochs - 1;
        let ambiguous = 0;
        for (const [name, used] of scan.blocks) {
          const received = fs.readFileSync(blockFile(out, name));
          expect(received.length, name).toBe(used);
          const pages = scan.copies.get(name) ?? new Map();
          expect(pages.size, `${name}: pages sent`).toBe(used / PAGE);
          const wrong: number[] = [];
          for (const [offset, copies] of pages) {
            const last = lastCopies(copies);
            if (new Set(last.map((c) => (c.kind === 'zero' ? `z${c.fill}` : Buffer.from(c.bytes!).toString('base64')))).size > 1) ambiguous++;
            if (!last.some((c) => copyMatches(c, received.subarray(offset, offset + PAGE)))) wrong.push(offset);
          }
          expect(describePages(wrong), `${name}: pages that are not the last copy sent`).toBe('none');
        }

        // 2. Against the source's final RAM: what was sent while the guest was stopped, and everything outside the window, is equal.
        const pcRam = fs.readFileSync(blockFile(out, 'pc.ram'));
        expect(pcRam.length).toBe(GUEST_BYTES);
        const differ: number[] = [];
        const finalEpochDiffer: number[] = [];
        let resentInFinal = 0;
        for (const [offset, copies] of scan.copies.get('pc.ram')!) {
          if (inHole(offset)) continue;
          const sentInFinal = copies.some((c) => c.epoch === finalEpoch);
          const inWindow = offset >= WINDOW_START && offset < WINDOW_END;
          if (inWindow && sentInFinal) resentInFinal++;
          if (pcRam.compare(final, offset, offset + PAGE, offset, offset + PAGE) === 0) continue;
          differ.push(offset);
          if (sentInFinal) finalEpochDiffer.push(offset);
        }
        expect(describePages(finalEpochDiffer), 'pages sent in the final epoch that differ from the source').toBe('none');
        expect(describePages(differ.filter((p) => p < WINDOW_START || p >= WINDOW_END)), 'pages outside the dirty window that differ').toBe('none');
        console.log(
          `[running guest] ${index.epochs} epochs, downtime limit raised at dirty-sync ${raisedAt ?? '(never: completed before)'}, ` +
            `total-time ${info['total-time']} ms; of the 128 dirty-window pages ${resentInFinal} were sent in the final epoch, ` +
            `${differ.length} differ from the source's final RAM (stale: QEMU 7.2 under TCG did not re-send them after the guest's last write); ` +
            `${ambiguous} page(s) sent twice in their last epoch`,
        );

        // 3. decode of the same capture agrees with receive on every RAMBlock.
        const decoded = path.join(dir, 'decoded');
        await runCli(['decode', '--out', decoded, ...files], 30_000);
        for (const name of scan.blocks.keys()) {
          expect(fs.readFileSync(blockFile(decoded, name)).equals(fs.readFileSync(blockFile(out, name))), `${name}: decode equals receive`).toBe(true);
        }
      } finally {
        tee.close();
      }
    },
    120_000,
  );
});

function isMain(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    return fs.readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32BE(0) === 0x5145564d;
  } finally {
    fs.closeSync(fd);
  }
}
