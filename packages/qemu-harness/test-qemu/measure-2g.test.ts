/**
 * The qemu-peer.md section 4 setup, to validate the harness for benchmarks:
 * a 2 GiB guest with eight 64 MiB blobs of mixed pages at 0x8000000 + i*64 MiB
 * (512 MiB of content), migrated QEMU → QEMU with 2 multifd channels, with
 * and without -mem-prealloc (see QemuArgsOptions.memPrealloc).
 * Opt-in (slow): `npm run measure:qemu` (QEMU_HARNESS_MEASURE=1);
 * QEMU_HARNESS_MEASURE_RUNS=n repeats each codec.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cpuShares,
  cpuSnapshot,
  guestRanges,
  migratePair,
  mixedPages,
  placeCopies,
  readGuestMemory,
  waitForQuietCpu,
  writeBlobFile,
  type BlobPlacement,
  type CpuSnapshot,
  type MultifdCompression,
  type QemuVm,
} from '../src/index.js';
import { QEMU, killQemuAfterEach } from './helpers.js';

killQemuAfterEach();

const MIB = 1024 * 1024;
const RUNS = Number(process.env.QEMU_HARNESS_MEASURE_RUNS ?? 1);
let dir = '';
let placements: BlobPlacement[] = [];

const pct = (fraction: number): string => `${(fraction * 100).toFixed(0)}%`;

/** sha256 of guest memory over `ranges`, read 64 MiB at a time. */
async function digest(vm: QemuVm, ranges: ReturnType<typeof guestRanges>): Promise<string> {
  const hash = createHash('sha256');
  for (const { start, end } of ranges) {
    for (let at = start; at < end; at += 64 * MIB) hash.update(await readGuestMemory(vm, at, Math.min(64 * MIB, end - at)));
  }
  return hash.digest('hex');
}

describe.runIf(QEMU && process.env.QEMU_HARNESS_MEASURE)(`2 GiB guest, 512 MiB of content, ${QEMU?.text}`, () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qemu-harness-measure-'));
    const { bytes, counts } = mixedPages(64 * MIB, 'bench-1');
    const blob = await writeBlobFile(path.join(dir, 'bench-1-64m.bin'), bytes);
    placements = placeCopies(blob.file, blob.size, { base: 0x8000000, count: 8 });
    console.log(`[measure] blob bench-1 64 MiB page kinds ${JSON.stringify(counts)}`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each<[MultifdCompression, boolean]>([
    ['none', true],
    ['zstd', true],
    ['none', false],
    ['zstd', false],
  ])(
    '2 channels, %s, -mem-prealloc %s',
    async (compression, memPrealloc) => {
      const expected = createHash('sha256');
      for (const p of placements) expected.update(fs.readFileSync(p.file));
      const expectedDigest = expected.digest('hex');
      for (let run = 1; run <= RUNS; run++) {
        let quiet = { idle: 1, quiet: true };
        let before: CpuSnapshot | undefined;
        let pids: number[] = [];
        const pair = await migratePair({
          vm: { memoryMiB: 2048, memPrealloc, loaders: placements, qmpConnectTimeoutMs: 120_000 },
          multifd: { channels: 2, compression },
          timeoutMs: 180_000,
          beforeMigrate: async (source, destination) => {
            // Other work on the 2 cores slows QEMU down a lot: wait (a while) for a quiet machine.
            quiet = await waitForQuietCpu({ minIdle: 0.9, timeoutMs: 300_000 });
            pids = [source.pid, destination.pid];
            before = cpuSnapshot(pids);
          },
        });
        const shares = cpuShares(before!, cpuSnapshot(pids));
        const { sourceInfo: s } = pair;
        const ram = s.ram!;
        console.log(
          `[measure] ${compression} 2ch${memPrealloc ? ' -mem-prealloc' : ''} run ${run}: total-time ${s['total-time']} ms (setup ${s['setup-time']}, downtime ${s.downtime}), ` +
            `wall ${pair.wallMs.toFixed(0)} ms, normal-bytes ${ram['normal-bytes']}, duplicate ${ram.duplicate}, ` +
            `transferred ${ram.transferred}, ram.total ${ram.total}, mbps ${ram.mbps.toFixed(0)}; ` +
            `CPU idle before ${pct(quiet.idle)}${quiet.quiet ? '' : ' (never quiet)'}; during: QEMUs+harness ${pct(shares.watched)}, ` +
            `others ${pct(shares.others)}, idle ${pct(shares.idle)}`,
        );
        expect(pair.destinationInfo.status).toBe('completed');
        const ranges = guestRanges(placements);
        expect(await digest(pair.destination, ranges)).toBe(expectedDigest);
        await pair.kill();
      }
    },
    RUNS * 900_000,
  );
});
