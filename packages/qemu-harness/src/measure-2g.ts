/**
 * `npm run measure:qemu`: the qemu-peer.md section 4 setup, to validate the
 * harness for benchmarks. A 2 GiB guest with eight 64 MiB blobs of mixed
 * pages at 0x8000000 + i*64 MiB (512 MiB of content) is migrated QEMU → QEMU
 * with 2 multifd channels, with and without -mem-prealloc (see
 * QemuArgsOptions.memPrealloc); the destination's memory is checked by sha256.
 * A plain script, not a test (it is slow): QEMU_HARNESS_MEASURE_RUNS=n repeats
 * each case. Exits 1 if QEMU is missing or any run fails.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { qemuVersion, requireQemuVersion } from './availability.js';
import { guestRanges, placeCopies, writeBlobFile, type BlobPlacement, type GuestRange } from './blob.js';
import { cpuShares, cpuSnapshot, waitForQuietCpu, type CpuSnapshot } from './cpu-idle.js';
import { migratePair } from './migrate-pair.js';
import type { MultifdCompression } from './migration.js';
import { readGuestMemory } from './monitor.js';
import { mixedPages } from './page-mix.js';
import type { QemuVm } from './qemu.js';
import { killAllQemu } from './tracker.js';

const MIB = 1024 * 1024;
const CASES: [MultifdCompression, boolean][] = [
  ['none', true],
  ['zstd', true],
  ['none', false],
  ['zstd', false],
];

const pct = (fraction: number): string => `${(fraction * 100).toFixed(0)}%`;

/** sha256 of guest memory over `ranges`, read 64 MiB at a time. */
async function digest(vm: QemuVm, ranges: readonly GuestRange[]): Promise<string> {
  const hash = createHash('sha256');
  for (const { start, end } of ranges) {
    for (let at = start; at < end; at += 64 * MIB) hash.update(await readGuestMemory(vm, at, Math.min(64 * MIB, end - at)));
  }
  return hash.digest('hex');
}

async function measure(compression: MultifdCompression, memPrealloc: boolean, run: number, placements: BlobPlacement[], expectedDigest: string): Promise<void> {
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
  try {
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
    assert.equal(pair.destinationInfo.status, 'completed');
    assert.equal(await digest(pair.destination, guestRanges(placements)), expectedDigest, 'destination memory differs from the blobs');
  } finally {
    await pair.kill();
  }
}

async function main(): Promise<void> {
  const qemu = requireQemuVersion(await qemuVersion());
  const runs = Number(process.env.QEMU_HARNESS_MEASURE_RUNS ?? 1);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`QEMU_HARNESS_MEASURE_RUNS=${process.env.QEMU_HARNESS_MEASURE_RUNS}: expected a positive integer`);
  console.log(`[measure] 2 GiB guest, 512 MiB of content, ${qemu.text}, ${runs} run(s) per case`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qemu-harness-measure-'));
  // Interrupted: delete the blob, and exit (the harness's exit hook SIGKILLs the QEMUs).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      fs.rmSync(dir, { recursive: true, force: true });
      console.error(`[measure] ${signal}: stopped`);
      process.exit(130);
    });
  }
  try {
    const { bytes, counts } = mixedPages(64 * MIB, 'bench-1');
    const blob = await writeBlobFile(path.join(dir, 'bench-1-64m.bin'), bytes);
    const placements = placeCopies(blob.file, blob.size, { base: 0x8000000, count: 8 });
    console.log(`[measure] blob bench-1 64 MiB page kinds ${JSON.stringify(counts)}`);
    const expected = createHash('sha256');
    for (const p of placements) expected.update(fs.readFileSync(p.file));
    const expectedDigest = expected.digest('hex');
    for (const [compression, memPrealloc] of CASES) {
      for (let run = 1; run <= runs; run++) await measure(compression, memPrealloc, run, placements, expectedDigest);
    }
  } finally {
    await killAllQemu();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  console.error(`[measure] failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
