#!/usr/bin/env node
/**
 * `npm run bench:transport`: migration throughput of our `send` -> `receive`
 * against QEMU's own multifd (QEMU -> QEMU) and QEMU -> our `receive`, on the
 * same content in one run: a 2 GiB guest holding eight 64 MiB copies of a
 * blob of mixed pages at 0x8000000 + i * 64 MiB (qemu-peer.md section 4).
 *
 * Both sides start with their RAM resident: QEMU with -mem-prealloc, our
 * sender by reading its image (and once more: `send` warms it). On this VM the
 * first touch of a page costs microseconds, which would otherwise dominate
 * either side's time.
 *
 * Each run also reports the CPU seconds (all threads) each side used over
 * the migration: a paused QEMU uses next to none, so its process's CPU time
 * across the migration is the migration's; ours report theirs from the
 * first connection on (`send --json`) and from listening on.
 *
 * Our receiver holds RAM in preallocated memory like QEMU's destination
 * (--receiver memory, default) or writes it to files as `multifd receive`
 * does (--receiver files: page-cache pages are fresh memory too).
 *
 * Options: --reps N (3) --channels 1,2 --codecs nocomp,zlib,zstd --receiver memory|files
 *          --qemu BINARY (qemu-system-x86_64) --profile qemu-7.2|qemu-10
 *          --qemu-data DIR (-L for a private QEMU 10 prefix) --json --out FILE
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BENCH_MIX,
  configureMultifd,
  killAllQemu,
  migrate,
  migratePair,
  mixedPages,
  placeCopies,
  processCpuSeconds,
  startQemu,
  waitForMigration,
  waitForQuietCpu,
  type MigrationInfo,
} from '@multifd/qemu-harness';
import { DEFAULT_PROFILE, type WireProfileName } from '@multifd/core';
import { median } from './median.js';

const GUEST_MIB = 2048;
const BLOB_MIB = 64;
const COPIES = 8;
const BASE = 0x8000000;
const CLI = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));
const RECEIVER = fileURLToPath(new URL('./receiver-process.js', import.meta.url));

interface Options {
  reps: number;
  channels: number[];
  codecs: string[];
  qemu?: string;
  qemuData?: string;
  profile: WireProfileName;
  json: boolean;
  out?: string;
  /** Where our receiver puts RAM: preallocated memory (like QEMU's destination) or files (`multifd receive --out`). */
  receiver: 'memory' | 'files';
}

interface Run {
  ms: number;
  ramBytes: number;
  normalBytes: number;
  wireBytes?: number;
  senderRss?: number;
  receiverRss?: number;
  /** CPU seconds (all threads) each side used over the migration. */
  senderCpu?: number;
  receiverCpu?: number;
}

type Pair = 'ours' | 'qemu->qemu' | 'qemu->ours';

function parseOptions(argv: string[]): Options {
  const o: Options = { reps: 3, channels: [1, 2], codecs: ['nocomp', 'zlib', 'zstd'], profile: DEFAULT_PROFILE.name, json: false, receiver: 'memory' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i] ?? '';
    if (a === '--reps') o.reps = Number(next());
    else if (a === '--channels') o.channels = next().split(',').map(Number);
    else if (a === '--codecs') o.codecs = next().split(',');
    else if (a === '--qemu') o.qemu = next();
    else if (a === '--qemu-data') o.qemuData = next();
    else if (a === '--profile') o.profile = next() as Options['profile'];
    else if (a === '--json') o.json = true;
    else if (a === '--out') o.out = next();
    else if (a === '--receiver') o.receiver = next() as Options['receiver'];
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const qemuCompression = (codec: string) => (codec === 'nocomp' ? 'none' : codec) as 'none' | 'zlib' | 'zstd';

/** Run a node script (the CLI by default); resolves with stdout, stderr and the exit code; `onStderr` sees stderr as it comes. */
function cli(args: string[], onStderr?: (text: string) => void, script = CLI): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; kill: () => void } {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
    onStderr?.(stderr);
  });
  // 'close', not 'exit': by then stdout and stderr are read to the end.
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { done, kill: () => child.kill('SIGKILL') };
}

/**
 * Our receiver on a free port; resolves once it listens. 'files': `multifd
 * receive --out`; 'memory': the library receiver with its RAM preallocated.
 */
async function startReceive(kind: Options['receiver'], channels: number, method: string, out: string) {
  let resolvePort!: (port: number) => void;
  const port = new Promise<number>((resolve) => (resolvePort = resolve));
  const onStderr = (text: string) => {
    const m = /listening on [^\s:]+:(\d+)/.exec(text);
    if (m) resolvePort(Number(m[1]));
  };
  const proc =
    kind === 'files'
      ? cli(['receive', '--listen', '127.0.0.1:0', '--channels', String(channels), '--method', method, '--out', out, '--json'], onStderr)
      : cli(['--channels', String(channels), '--method', method, '--prealloc', String(GUEST_MIB * 2 ** 20 + 4 * 2 ** 20)], onStderr, RECEIVER);
  const first = await Promise.race([port, proc.done.then((r) => Promise.reject(new Error(`receive exited: ${r.stderr.trim()}`)))]);
  return { port: first, proc };
}

/** The median of the values a run measured (undefined when none did). */
function medianOf(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length > 0 ? median(known) : undefined;
}

function cpuText(seconds: number | undefined): string {
  return seconds === undefined ? '-' : seconds.toFixed(2);
}

function normalBytes(info: MigrationInfo): number {
  return Number((info.ram as Record<string, unknown> | undefined)?.['normal-bytes'] ?? 0);
}

async function oursToOurs(o: Options, codec: string, channels: number, image: string, work: string): Promise<Run> {
  const out = path.join(work, 'rx');
  fs.rmSync(out, { recursive: true, force: true });
  const rx = await startReceive(o.receiver, channels, codec, out);
  const tx = cli(['send', '--to', `127.0.0.1:${rx.port}`, '--channels', String(channels), '--method', codec, '--profile', o.profile, '--json', `pc.ram=${image}`]);
  const [s, r] = await Promise.all([tx.done, rx.proc.done]);
  if (s.code !== 0 || r.code !== 0) throw new Error(`send/receive failed: ${s.stderr.trim()} ${r.stderr.trim()}`);
  const sent = JSON.parse(s.stdout) as { seconds: number; cpuSeconds: number; pages: number; zeroPages: number; wireBytes: number; peakRssBytes: number };
  // `multifd receive --json` (--receiver files) reports no CPU time: that column stays empty.
  const received = JSON.parse(r.stdout) as { peakRssBytes: number; cpuSeconds?: number };
  fs.rmSync(out, { recursive: true, force: true });
  return {
    ms: sent.seconds * 1000,
    ramBytes: GUEST_MIB * 2 ** 20,
    // Non-zero pages only: under qemu-10 the channels also carry the zero pages (listed, no data).
    normalBytes: (sent.pages - sent.zeroPages) * 4096,
    wireBytes: sent.wireBytes,
    senderRss: sent.peakRssBytes,
    receiverRss: received.peakRssBytes,
    senderCpu: sent.cpuSeconds,
    receiverCpu: received.cpuSeconds,
  };
}

function qemuVm(o: Options) {
  return { memoryMiB: GUEST_MIB, memPrealloc: true, ...(o.qemu ? { binary: o.qemu } : {}), ...(o.qemuData ? { dataDir: o.qemuData } : {}) };
}

async function qemuToQemu(o: Options, codec: string, channels: number, loaders: { file: string; addr: number }[]): Promise<Run> {
  let cpuBefore = { source: 0, destination: 0 };
  const pair = await migratePair({
    vm: qemuVm(o),
    source: { ...qemuVm(o), loaders },
    multifd: { channels, compression: qemuCompression(codec) },
    timeoutMs: 180_000,
    beforeMigrate: async (source, destination) => {
      await waitForQuietCpu();
      // Both VMs are paused: what they use from here on is the migration's.
      cpuBefore = { source: processCpuSeconds(source.pid), destination: processCpuSeconds(destination.pid) };
    },
  });
  try {
    const info = pair.sourceInfo;
    return {
      ms: Number(info['total-time']),
      ramBytes: Number((info.ram as Record<string, unknown>)['total']),
      normalBytes: normalBytes(info),
      senderCpu: processCpuSeconds(pair.source.pid) - cpuBefore.source,
      receiverCpu: processCpuSeconds(pair.destination.pid) - cpuBefore.destination,
    };
  } finally {
    await pair.kill();
  }
}

async function qemuToOurs(o: Options, codec: string, channels: number, loaders: { file: string; addr: number }[], work: string): Promise<Run> {
  const out = path.join(work, 'rx');
  fs.rmSync(out, { recursive: true, force: true });
  const source = await startQemu({ ...qemuVm(o), loaders, name: 'source' });
  try {
    await configureMultifd(source, { channels, compression: qemuCompression(codec) });
    const rx = await startReceive(o.receiver, channels, codec, out);
    await waitForQuietCpu();
    const cpuBefore = processCpuSeconds(source.pid);
    await migrate(source, `tcp:127.0.0.1:${rx.port}`);
    const info = await waitForMigration(source, { timeoutMs: 180_000 });
    const senderCpu = processCpuSeconds(source.pid) - cpuBefore;
    const r = await rx.proc.done;
    if (r.code !== 0) throw new Error(`receive failed: ${r.stderr.trim()}`);
    const received = JSON.parse(r.stdout) as { peakRssBytes: number; cpuSeconds?: number };
    return {
      ms: Number(info['total-time']),
      ramBytes: Number((info.ram as Record<string, unknown>)['total']),
      normalBytes: normalBytes(info),
      receiverRss: received.peakRssBytes,
      senderCpu,
      receiverCpu: received.cpuSeconds,
    };
  } finally {
    await source.kill();
    fs.rmSync(out, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'multifd-bench-transport-'));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    log(`content: ${COPIES} x ${BLOB_MIB} MiB of mixed pages (qemu-peer.md mix) in a ${GUEST_MIB} MiB guest`);
    const blobFile = path.join(work, 'blob.bin');
    fs.writeFileSync(blobFile, mixedPages(BLOB_MIB * 2 ** 20, 'bench-1', BENCH_MIX).bytes);
    const loaders = placeCopies(blobFile, BLOB_MIB * 2 ** 20, { base: BASE, count: COPIES });
    // Our sender's pc.ram: the same bytes at the same offsets (pc.ram offset = guest-physical below 3.5 GiB).
    const image = path.join(work, 'pc.ram.bin');
    const fd = fs.openSync(image, 'w');
    fs.ftruncateSync(fd, GUEST_MIB * 2 ** 20);
    const blob = fs.readFileSync(blobFile);
    for (const l of loaders) fs.writeSync(fd, blob, 0, blob.length, l.addr);
    fs.closeSync(fd);

    const results: { codec: string; channels: number; pair: Pair; runs: Run[] }[] = [];
    for (const codec of o.codecs) {
      for (const channels of o.channels) {
        const pairs: [Pair, () => Promise<Run>][] = [
          ['ours', () => oursToOurs(o, codec, channels, image, work)],
          ['qemu->qemu', () => qemuToQemu(o, codec, channels, loaders)],
          ['qemu->ours', () => qemuToOurs(o, codec, channels, loaders, work)],
        ];
        for (const [pair, run] of pairs) {
          const runs: Run[] = [];
          for (let rep = 0; rep < o.reps; rep++) {
            await waitForQuietCpu();
            const r = await run();
            runs.push(r);
            log(`${codec} x${channels} ${pair} rep ${rep + 1}: ${r.ms.toFixed(0)} ms, ${(r.normalBytes / 1e6 / (r.ms / 1000)).toFixed(0)} non-zero MB/s, CPU s ${cpuText(r.senderCpu)}/${cpuText(r.receiverCpu)}`);
          }
          results.push({ codec, channels, pair, runs });
        }
      }
    }
    const rows = results.map((r) => {
      const ms = median(r.runs.map((x) => x.ms));
      const base = results.find((b) => b.codec === r.codec && b.channels === r.channels && b.pair === 'qemu->qemu');
      const baseMs = base ? median(base.runs.map((x) => x.ms)) : NaN;
      const run = r.runs[0]!;
      return {
        codec: r.codec,
        channels: r.channels,
        pair: r.pair,
        medianMs: ms,
        minMs: Math.min(...r.runs.map((x) => x.ms)),
        maxMs: Math.max(...r.runs.map((x) => x.ms)),
        guestRamMBps: run.ramBytes / 1e6 / (ms / 1000),
        nonZeroMBps: run.normalBytes / 1e6 / (ms / 1000),
        vsQemu: baseMs / ms,
        wireBytes: run.wireBytes,
        senderCpuSeconds: medianOf(r.runs.map((x) => x.senderCpu)),
        receiverCpuSeconds: medianOf(r.runs.map((x) => x.receiverCpu)),
        senderPeakRss: Math.max(...r.runs.map((x) => x.senderRss ?? 0)) || undefined,
        receiverPeakRss: Math.max(...r.runs.map((x) => x.receiverRss ?? 0)) || undefined,
      };
    });
    const report = { receiver: o.receiver, profile: o.profile, qemu: o.qemu ?? 'qemu-system-x86_64', reps: o.reps, guestMiB: GUEST_MIB, contentMiB: BLOB_MIB * COPIES, rows };
    if (o.out) fs.writeFileSync(o.out, `${JSON.stringify(report, null, 2)}\n`);
    if (o.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    console.log('codec   ch  pair        median ms (min-max)   guest-RAM MB/s  non-zero MB/s  vs QEMU->QEMU  CPU s send/recv  peak RSS send/recv MiB');
    for (const r of rows) {
      const rss = `${r.senderPeakRss ? (r.senderPeakRss / 2 ** 20).toFixed(0) : '-'}/${r.receiverPeakRss ? (r.receiverPeakRss / 2 ** 20).toFixed(0) : '-'}`;
      console.log(
        `${r.codec.padEnd(7)} ${String(r.channels).padStart(2)}  ${r.pair.padEnd(11)} ${`${r.medianMs.toFixed(0)} (${r.minMs.toFixed(0)}-${r.maxMs.toFixed(0)})`.padEnd(20)} ${r.guestRamMBps.toFixed(0).padStart(14)} ${r.nonZeroMBps.toFixed(0).padStart(14)} ${r.vsQemu.toFixed(2).padStart(14)}  ${`${cpuText(r.senderCpuSeconds)}/${cpuText(r.receiverCpuSeconds)}`.padEnd(15)}  ${rss}`,
      );
    }
  } finally {
    await killAllQemu();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch(async (e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  await killAllQemu();
  process.exitCode = 1;
});
