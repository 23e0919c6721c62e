/**
 * The decode benchmark: one memory image, one migration per codec written by
 * our own sender, then per codec and repetition (interleaved, so drift hits
 * every column alike) the raw codec loop, the engine into a NullSink, the
 * engine into a MemorySink and the engine into a FileSink. Every decode is
 * checked against the image, so the numbers can never come from a broken
 * decode.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CodecRegistry, MemorySink, PAGE_SIZE, type AnyMultiFDMethods, type AssembleReport, type PageKind } from '@multifd/core';
import { nocomp } from '@multifd/nocomp';
import { zlib } from '@multifd/zlib';
import { zstdCodec } from '@multifd/zstd';
import { NullSink, decodeFiles, decodeToFiles, loadChannel, rawDecode } from './measure.js';
import { median } from './median.js';
import type { BenchOptions, CodecName } from './options.js';
import { BLOCK_NAME, makeImage, writeWorkload, type Workload } from './workload.js';

/** zlib on its node:zlib backend: the codec option reaches every channel's setup. */
const zlibNode: AnyMultiFDMethods = {
  ...zlib,
  sendSetup: (ch) => zlib.sendSetup({ ...ch, options: { ...ch.options, backend: 'node' } }),
  recvSetup: (ch) => zlib.recvSetup({ ...ch, options: { ...ch.options, backend: 'node' } }),
};

export const CODECS: Record<CodecName, AnyMultiFDMethods> = { nocomp, zlib, 'zlib-node': zlibNode, zstd: zstdCodec };

const MB = 1e6;

export interface Timing {
  /** Every repetition, in ms. */
  ms: number[];
  medianMs: number;
  /** CPU time of the process (all threads, user + system) per repetition, in ms. */
  cpuMs: number[];
  medianCpuMs: number;
  /** Payload (decompressed page) bytes per second, in MB (10^6 bytes), at the median. */
  mbps: number;
  /** The same at the fastest repetition (least disturbed by other processes). */
  bestMbps: number;
}

export interface CodecResult {
  codec: CodecName;
  value: number;
  level: number | null;
  packets: number;
  syncs: number;
  normalPages: number;
  /** Zero pages, sent as main-stream records. */
  zeroPages: number;
  payloadBytes: number;
  channelBytes: number;
  mainBytes: number;
  raw: Timing;
  /** assembleMigration into a NullSink. */
  engine: Timing;
  /** assembleMigration into a MemorySink over memory touched before (not timed). */
  memory: Timing;
  /** assembleMigration into a FileSink. */
  files: Timing;
  /** Median MB/s over raw's median MB/s. */
  ratios: { engine: number; memory: number; files: number };
  /** Fastest repetition over raw's fastest. */
  bestRatios: { engine: number; memory: number; files: number };
  /** Guest RAM bytes per second (zero pages included), MB. */
  ramMbps: { engine: number; memory: number; files: number };
  /** Every decode matched the image (memory and files) or decoded every page (null sink). */
  verified: boolean;
}

export interface BenchResult {
  machine: {
    node: string;
    platform: string;
    release: string;
    cpu: string;
    cpus: number;
    totalMemMB: number;
    freeMemMB: number;
    loadavg: number[];
    /** MB/s at which fresh memory is touched for the first time (page faults). */
    firstTouchMbps: number;
  };
  options: Omit<BenchOptions, 'json' | 'out'>;
  image: { bytes: number; pages: number; kinds: Record<PageKind, number>; generateMs: number };
  codecs: CodecResult[];
  notes: string[];
}

export interface RunHooks {
  /** Progress lines (the CLI prints them on stderr). */
  log?: (line: string) => void;
}

interface Run {
  ms: number;
  cpuMs: number;
}

function timing(runs: readonly Run[], bytes: number): Timing {
  const ms = runs.map((r) => r.ms);
  const cpuMs = runs.map((r) => r.cpuMs);
  const medianMs = median(ms);
  return { ms, medianMs, cpuMs, medianCpuMs: median(cpuMs), mbps: bytes / MB / (medianMs / 1000), bestMbps: bytes / MB / (Math.min(...ms) / 1000) };
}

// No forced GC between runs: on this kind of VM a full GC gives memory back,
// and the next run pays page faults to get it again (measured: 50-80 ms).
async function timed(fn: () => Promise<unknown>): Promise<Run> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function fail(codec: string, what: string): never {
  throw new Error(`[bench] ${codec}: ${what}`);
}

function checkReport(codec: string, w: Workload, report: AssembleReport): void {
  const pages = report.channels.reduce((s, c) => s + c.pages, 0);
  if (pages !== w.counts.normalPages) fail(codec, `decoded ${pages} normal pages, the migration has ${w.counts.normalPages}`);
  if (report.main?.zeroRecords !== w.counts.zeroPages) fail(codec, `decoded ${report.main?.zeroRecords} zero records, expected ${w.counts.zeroPages}`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** Compare a file with `expected` without reading it whole. */
function fileEquals(file: string, expected: Uint8Array): boolean {
  if (fs.statSync(file).size !== expected.length) return false;
  const fd = fs.openSync(file, 'r');
  try {
    const buf = new Uint8Array(16 * 1024 ** 2);
    for (let at = 0; at < expected.length; ) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, expected.length - at), at);
      if (n <= 0 || !sameBytes(buf.subarray(0, n), expected.subarray(at, at + n))) return false;
      at += n;
    }
    return true;
  } finally {
    fs.closeSync(fd);
  }
}

/** MB/s at which this machine touches fresh anonymous memory for the first time. */
function firstTouchMbps(bytes: number): number {
  const t0 = performance.now();
  const mem = new Uint8Array(bytes);
  for (let i = 0; i < mem.length; i += PAGE_SIZE) mem[i] = 1;
  return bytes / MB / ((performance.now() - t0) / 1000);
}

/** Run the whole benchmark. */
export async function runDecodeBench(options: BenchOptions, hooks: RunHooks = {}): Promise<BenchResult> {
  const log = hooks.log ?? (() => undefined);
  const tmp = fs.mkdtempSync(path.join(options.dir ?? os.tmpdir(), 'multifd-bench-'));
  try {
    log(`image: ${(options.size / 1024 ** 2).toFixed(0)} MiB of GUEST_MIX pages (seed ${JSON.stringify(options.seed)})`);
    let t0 = performance.now();
    const image = makeImage(options.size, options.seed);
    const generateMs = performance.now() - t0;
    const source = image.block.memory;
    // Decode target of the MemorySink runs: touched once here, zeroed before each run.
    const target = new Uint8Array(options.size);
    const touch = firstTouchMbps(Math.min(options.size, 256 * 1024 ** 2));
    const results: CodecResult[] = [];

    for (const name of options.codecs) {
      const codec = CODECS[name];
      const registry = new CodecRegistry(); // one per codec: zlib and zlib-node share a method value
      registry.register(codec);
      t0 = performance.now();
      const w = await writeWorkload(path.join(tmp, name), codec, image.block, options.channels);
      log(`${name}: wrote ${w.counts.packets} packets, ${(w.channelBytes / MB).toFixed(1)} MB channels + ${(w.mainBytes / MB).toFixed(1)} MB main in ${(performance.now() - t0).toFixed(0)} ms`);
      const loaded = w.files.channels.map((f) => loadChannel(codec, f));
      const ms = { raw: [] as Run[], engine: [] as Run[], memory: [] as Run[], files: [] as Run[] };

      // Untimed warm-up: the first runs pay for JIT compilation and first-touch page faults.
      await rawDecode(codec, loaded);
      await decodeFiles(w, registry, new NullSink(), options.readChunk, options.reader);
      for (let rep = 0; rep < options.reps; rep++) {
        let pages = 0;
        ms.raw.push(await timed(async () => (pages = await rawDecode(codec, loaded))));
        if (pages !== w.counts.normalPages) fail(name, `raw loop decoded ${pages} pages, expected ${w.counts.normalPages}`);

        const nul = new NullSink();
        let report: AssembleReport | undefined;
        ms.engine.push(await timed(async () => (report = await decodeFiles(w, registry, nul, options.readChunk, options.reader))));
        checkReport(name, w, report!);
        if (nul.pages !== w.counts.normalPages) fail(name, `null sink got ${nul.pages} pages, expected ${w.counts.normalPages}`);

        target.fill(0);
        const mem = new MemorySink({ blocks: new Map([[BLOCK_NAME, target]]) });
        ms.memory.push(await timed(async () => (report = await decodeFiles(w, registry, mem, options.readChunk, options.reader))));
        checkReport(name, w, report!);
        if (!sameBytes(mem.block(BLOCK_NAME)!, source)) fail(name, 'MemorySink decode differs from the image');

        const out = fs.mkdtempSync(path.join(w.dir, 'out-'));
        let file = '';
        ms.files.push(await timed(async () => ({ report, file } = await decodeToFiles(w, registry, out, options.readChunk, BLOCK_NAME, options.reader))));
        checkReport(name, w, report!);
        if (!fileEquals(file, source)) fail(name, 'FileSink decode differs from the image');
        // Removed at once (also with --keep): new page cache is slow to get on some VMs, so
        // keeping every repetition's output would make each run write into fresh memory.
        fs.rmSync(out, { recursive: true, force: true });
        log(`${name} rep ${rep + 1}/${options.reps}: raw ${ms.raw.at(-1)!.ms.toFixed(0)} ms, engine ${ms.engine.at(-1)!.ms.toFixed(0)} ms, memory ${ms.memory.at(-1)!.ms.toFixed(0)} ms, files ${ms.files.at(-1)!.ms.toFixed(0)} ms`);
      }

      const bytes = w.payloadBytes;
      const raw = timing(ms.raw, bytes);
      const engine = timing(ms.engine, bytes);
      const memory = timing(ms.memory, bytes);
      const files = timing(ms.files, bytes);
      const ram = (t: Timing) => options.size / MB / (t.medianMs / 1000);
      results.push({
        codec: name,
        value: codec.value,
        level: codec.levels ? codec.levels.default : null,
        packets: w.counts.packets,
        syncs: w.counts.syncs,
        normalPages: w.counts.normalPages,
        zeroPages: w.counts.zeroPages,
        payloadBytes: bytes,
        channelBytes: w.channelBytes,
        mainBytes: w.mainBytes,
        raw,
        engine,
        memory,
        files,
        ratios: { engine: engine.mbps / raw.mbps, memory: memory.mbps / raw.mbps, files: files.mbps / raw.mbps },
        bestRatios: { engine: engine.bestMbps / raw.bestMbps, memory: memory.bestMbps / raw.bestMbps, files: files.bestMbps / raw.bestMbps },
        ramMbps: { engine: ram(engine), memory: ram(memory), files: ram(files) },
        verified: true,
      });
      if (!options.keep) fs.rmSync(w.dir, { recursive: true, force: true });
    }

    const { json: _json, out: _out, ...opts } = options;
    return {
      machine: {
        node: process.version,
        platform: `${os.platform()} ${os.arch()}`,
        release: os.release(),
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cpus: os.cpus().length,
        totalMemMB: Math.round(os.totalmem() / 1024 ** 2),
        freeMemMB: Math.round(os.freemem() / 1024 ** 2),
        loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
        firstTouchMbps: touch,
      },
      options: opts,
      image: { bytes: options.size, pages: options.size / PAGE_SIZE, kinds: image.kinds, generateMs },
      codecs: results,
      notes: notes(results, touch),
    };
  } finally {
    if (!options.keep) fs.rmSync(tmp, { recursive: true, force: true });
    else log(`kept ${tmp}`);
  }
}

function notes(results: readonly CodecResult[], touch: number): string[] {
  const out = [
    'MB = 10^6 bytes. MB/s count the decompressed page bytes the multifd packets carry ("payload MB"); zero pages travel as main-stream records and are not in it (JSON ramMbps counts all guest RAM). Medians of the repetitions; "best" is engine/raw at each one\'s fastest repetition (the least disturbed by other processes).',
    'Each codec gets one untimed warm-up (raw loop and engine) before its repetitions.',
    'raw: the codec\'s recvPages loop alone over payloads already in memory, one recv state per channel, into a 512 KiB scratch buffer.',
    'engine: assembleMigration over the files (main stream + channels) into a NullSink (scratch views, nothing kept): framing, checks, epochs, the main stream\'s zero records and the codec.',
    'memory: the same into a MemorySink over memory touched before the run (an embedder restoring into existing guest RAM); unlike raw\'s cache-sized scratch, its pages go out to RAM.',
    `files: the same into a FileSink (what \`multifd decode --out\` does): writes land in the page cache, no fsync. Input files were just written, so they are read from the page cache too.`,
    `fresh memory: this machine touches new memory at ${touch.toFixed(0)} MB/s (first-touch page faults); a MemorySink over fresh memory pays that once per page on top of the memory column.`,
  ];
  const noc = results.find((r) => r.codec === 'nocomp');
  if (noc) {
    out.push(
      `nocomp: "raw decompression" is a page copy from memory (${noc.raw.mbps.toFixed(0)} MB/s), so decode cannot reach 0.9 of it: decode must also read every byte from the file (a kernel copy into the stream's chunks) before copying it into place, and pays per-chunk and per-packet costs that a memcpy does not; its ratio (${noc.ratios.engine.toFixed(2)}) measures I/O + copying against memcpy, not decompression.`,
    );
  }
  for (const r of results) {
    if (r.codec === 'nocomp') continue;
    out.push(
      `goal ${r.codec}: engine/raw ${r.ratios.engine.toFixed(2)} ${r.ratios.engine >= 0.9 ? '>=' : '<'} 0.9 (best ${r.bestRatios.engine.toFixed(2)}), memory/raw ${r.ratios.memory.toFixed(2)}, files/raw ${r.ratios.files.toFixed(2)}`,
    );
  }
  return out;
}

/** The result as an aligned text table. */
export function formatTable(result: BenchResult): string {
  const head = ['codec', 'payload MB', 'wire MB', 'raw MB/s', 'engine MB/s', 'ratio', 'best', 'memory MB/s', 'ratio', 'files MB/s', 'ratio'];
  const rows = result.codecs.map((r) => [
    r.codec,
    (r.payloadBytes / MB).toFixed(1),
    ((r.channelBytes + r.mainBytes) / MB).toFixed(1),
    r.raw.mbps.toFixed(0),
    r.engine.mbps.toFixed(0),
    r.ratios.engine.toFixed(2),
    r.bestRatios.engine.toFixed(2),
    r.memory.mbps.toFixed(0),
    r.ratios.memory.toFixed(2),
    r.files.mbps.toFixed(0),
    r.ratios.files.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const m = result.machine;
  return [
    `multifd decode benchmark: ${(result.image.bytes / 1024 ** 2).toFixed(0)} MiB guest RAM (${result.image.pages} pages, GUEST_MIX), ${result.options.channels} channels, ${result.options.reps} reps, read ${result.options.reader === 'chunks' ? 'fileChunks' : 'createReadStream'} ${(result.options.readChunk / 1024 ** 2).toFixed(2)} MiB`,
    `machine: ${m.cpu} x${m.cpus}, ${m.totalMemMB} MiB RAM (${m.freeMemMB} free), load ${m.loadavg.join(' ')}, node ${m.node}, ${m.platform} ${m.release}`,
    '',
    line(head),
    ...rows.map(line),
    '',
    'median wall ms (CPU ms of all threads) raw / engine / memory / files:',
    ...result.codecs.map((r) => `  ${r.codec.padEnd(9)} ${[r.raw, r.engine, r.memory, r.files].map((t) => `${t.medianMs.toFixed(1)} (${t.medianCpuMs.toFixed(0)})`).join(' / ')}`),
    '',
    ...result.notes.map((n) => `- ${n}`),
  ].join('\n');
}
