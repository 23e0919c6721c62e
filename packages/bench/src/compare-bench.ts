#!/usr/bin/env node
/**
 * `npm run bench:compare`: how close `multifd compare`'s compress throughput
 * comes to the codec alone, and how it scales with channels, measured in one
 * run on compare's bundled sample.
 *
 * Per method and repetition (interleaved, so drift hits every column alike):
 *
 * - raw: the codec's sendPrepare looping over the sample's normal pages in
 *   the packets the pipeline makes (scan steps of 1024 pages, packets of up
 *   to 128 normal pages), one send state, in this thread;
 * - raw x2: the same on two worker threads at once (packets dealt
 *   round-robin): what two threads give the codec alone on this machine,
 *   the ceiling for compare's 2-channel scaling;
 * - compare 1ch / 2ch: `multifd compare --json` on the same sample file, run
 *   as the CLI binary (nothing imports the CLI): its rows' compress MB/s
 *   (the transport's sender and channel workers, zero-page scan, headers),
 *   each row also decoded back and checked byte for byte by compare.
 *
 * MB/s are of input (the whole sample, zero pages included) per wall-clock
 * second. Medians are reported, and the load other processes put on the
 * machine while each measurement ran (from /proc, minus this process and
 * the compare runs it started), in cores. Progress goes to stderr, the
 * table (or --json) to stdout.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { GUEST_MIX, PAGES_PER_PACKET, PAGE_SIZE, fillMemory, pageViews, splitZeroPages, type AnyMultiFDMethods, type RAMBlock } from '@multifd/core';
import { cpuShares, cpuSnapshot } from '@multifd/qemu-harness';
import { benchRegistry } from './codecs.js';
import { median } from './median.js';
import { parseSize } from './options.js';
import type { RawWorkerData } from './raw-compress-worker.js';

const CLI = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));

/** What the bench needs of a compare row: the codec, its level and options. */
interface RowSpec {
  method: string;
  codec: AnyMultiFDMethods;
  level?: number;
  codecOptions: Record<string, unknown>;
}

/** compare's compress MB/s for `spec` at 1 and 2 channels, from the CLI binary's --json. */
async function compareRows(file: string, spec: RowSpec): Promise<{ one: number; two: number }> {
  const args = [CLI, 'compare', file, '--methods', spec.codec.name, '--channels', '1,2', '--json', '--zlib-backend', String(spec.codecOptions['backend'] ?? 'node')];
  if (spec.level !== undefined) args.push('--levels', `${spec.codec.name}:${spec.level}`);
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 24 });
  const rows = (JSON.parse(stdout) as { rows: { channels: number; verified: boolean; compress: { mbps: number } }[] }).rows;
  if (!rows.every((r) => r.verified)) throw new Error(`compare did not verify its rows for ${spec.method}`);
  const of = (n: number) => rows.find((r) => r.channels === n)!.compress.mbps;
  return { one: of(1), two: of(2) };
}

interface Options {
  size: number;
  reps: number;
  methods: string[];
  json: boolean;
}

const USAGE = `usage: npm run bench:compare -- [--size 256M] [--reps 3] [--methods nocomp,zlib,zstd] [--json]`;

function parse(argv: readonly string[]): Options | 'help' {
  const o: Options = { size: 256 * 1024 ** 2, reps: 3, methods: ['nocomp', 'zlib', 'zstd'], json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => argv[++i] ?? (() => { throw new Error(`${arg} needs a value`); })();
    if (arg === '--help' || arg === '-h') return 'help';
    else if (arg === '--size') o.size = parseSize(value());
    else if (arg === '--reps') o.reps = Math.max(1, Number.parseInt(value(), 10) || 1);
    else if (arg === '--methods') o.methods = value().split(',').filter(Boolean);
    else if (arg === '--json') o.json = true;
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  if (o.size < PAGE_SIZE || o.size % PAGE_SIZE !== 0) throw new Error(`--size must be a multiple of ${PAGE_SIZE}`);
  return o;
}

interface Sample {
  mbps: number;
  /** Cores other processes kept busy meanwhile. */
  otherCores: number;
}

/**
 * Run `fn` (which returns its own timed seconds) and note what else the
 * machine did meanwhile: everything but this process, its worker threads and
 * the `multifd compare` children it ran to their end.
 */
async function measure(bytes: number, fn: () => Promise<number>): Promise<Sample> {
  const before = cpuSnapshot();
  const seconds = await fn();
  const { others } = cpuShares(before, cpuSnapshot());
  return { mbps: bytes / 1e6 / seconds, otherCores: others * os.availableParallelism() };
}

/** The packets the pipeline makes of `block`, as page offsets: normal pages of each 1024-page scan step, by 128. */
function packetsOf(block: RAMBlock): number[][] {
  const packets: number[][] = [];
  const step = 8 * PAGES_PER_PACKET;
  const pages = block.usedLength / PAGE_SIZE;
  for (let p = 0; p < pages; p += step) {
    const normal: number[] = [];
    splitZeroPages(block.memory, { start: p * PAGE_SIZE, count: Math.min(step, pages - p) }, () => undefined, (off) => normal.push(off));
    for (let i = 0; i < normal.length; i += PAGES_PER_PACKET) packets.push(normal.slice(i, i + PAGES_PER_PACKET));
  }
  return packets;
}

/**
 * The codec alone on `threads` worker threads at once, the packets dealt
 * round-robin, one send state each: what the machine gives codec work on
 * several threads, the ceiling for compare's scaling. Returns seconds (wall
 * clock, from the common start to the last thread's end).
 */
async function rawParallel(spec: RowSpec, block: RAMBlock, packets: readonly number[][], threads: number): Promise<number> {
  const file = new URL('./raw-compress-worker.js', import.meta.url);
  const workers = Array.from({ length: threads }, (_, t) => {
    const workerData: RawWorkerData = {
      method: spec.codec.name,
      ...(spec.level !== undefined ? { level: spec.level } : {}),
      codecOptions: spec.codecOptions,
      memory: block.memory,
      packets: packets.filter((_, i) => i % threads === t),
    };
    return new Worker(file, { workerData });
  });
  try {
    const message = (w: Worker) =>
      new Promise<unknown>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
    await Promise.all(workers.map(message));
    const done = workers.map(message);
    const t0 = performance.now();
    for (const w of workers) w.postMessage('GO');
    await Promise.all(done);
    return (performance.now() - t0) / 1000;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The codec alone: sendPrepare over every packet, one channel's state; returns seconds. */
async function rawCompress(codec: AnyMultiFDMethods, spec: RowSpec, packets: readonly (readonly Uint8Array[])[]): Promise<number> {
  const state = await codec.sendSetup({ id: 0, ...(spec.level !== undefined ? { level: spec.level } : {}), options: spec.codecOptions });
  try {
    const t0 = performance.now();
    for (const pages of packets) await codec.sendPrepare(state, { pages });
    return (performance.now() - t0) / 1000;
  } finally {
    await codec.sendCleanup(state);
  }
}

interface MethodResult {
  method: string;
  level: number | null;
  raw: Sample[];
  raw2: Sample[];
  compare1: Sample[];
  compare2: Sample[];
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  if (o === 'help') {
    console.log(USAGE);
    return;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'multifd-compare-bench-'));
  try {
    log(`making a ${o.size / 1024 ** 2} MiB sample ...`);
    const memory = new Uint8Array(new SharedArrayBuffer(o.size));
    fillMemory(memory, 'bench:compare', GUEST_MIX);
    const sampleFile = path.join(work, 'sample.bin');
    fs.writeFileSync(sampleFile, memory);
    const block: RAMBlock = { name: 'sample', usedLength: o.size, memory };
    const registry = benchRegistry();
    const specs: RowSpec[] = o.methods.map((method) => ({ method, codec: registry.lookup(method), codecOptions: { backend: 'node' } }));
    const offsets = packetsOf(block);
    const packets = offsets.map((o) => pageViews(block.memory, o));
    const results = new Map<string, MethodResult>();
    // compare's own timing of its rows (compress only, the CLI's start not included).
    const viaCli = async (spec: RowSpec) => compareRows(sampleFile, spec);
    // One untimed warm-up of each path per method (JIT, page cache, worker code).
    for (const spec of specs) {
      log(`warm-up ${spec.method}`);
      await rawCompress(spec.codec, spec, packets);
      await viaCli(spec);
    }
    for (let rep = 1; rep <= o.reps; rep++) {
      for (const spec of specs) {
        const r = results.get(spec.method) ?? { method: spec.method, level: spec.level ?? null, raw: [], raw2: [], compare1: [], compare2: [] };
        results.set(spec.method, r);
        r.raw.push(await measure(o.size, () => rawCompress(spec.codec, spec, packets)));
        r.raw2.push(await measure(o.size, () => rawParallel(spec, block, offsets, 2)));
        let rows: { one: number; two: number } | undefined;
        const cli = await measure(o.size, async () => {
          rows = await viaCli(spec);
          return o.size / 1e6 / rows.one;
        });
        r.compare1.push({ mbps: rows!.one, otherCores: cli.otherCores });
        r.compare2.push({ mbps: rows!.two, otherCores: cli.otherCores });
        log(`rep ${rep}/${o.reps} ${spec.method}: raw ${r.raw.at(-1)!.mbps.toFixed(0)}, raw x2 ${r.raw2.at(-1)!.mbps.toFixed(0)}, 1ch ${r.compare1.at(-1)!.mbps.toFixed(0)}, 2ch ${r.compare2.at(-1)!.mbps.toFixed(0)} MB/s`);
      }
    }
    const summary = [...results.values()].map((r) => {
      const raw = median(r.raw.map((s) => s.mbps));
      const raw2 = median(r.raw2.map((s) => s.mbps));
      const one = median(r.compare1.map((s) => s.mbps));
      const two = median(r.compare2.map((s) => s.mbps));
      return {
        method: r.method,
        level: r.level,
        rawMbps: raw,
        /** The codec alone on 2 threads at once. */
        raw2ThreadsMbps: raw2,
        /** What 2 threads give the codec alone on this machine: the ceiling for compare's scaling. */
        rawScaling: raw2 / raw,
        compare1chMbps: one,
        compare2chMbps: two,
        /** compare at 1 channel over the raw codec loop (goal >= 0.9). */
        ratioToRaw: one / raw,
        /** compare at 2 channels over 1 channel (goal >= 1.8 for zlib and zstd on 2 cores). */
        scaling: two / one,
        otherCores: median([...r.raw, ...r.raw2, ...r.compare1, ...r.compare2].map((s) => s.otherCores)),
        samples: { raw: r.raw, raw2threads: r.raw2, compare1ch: r.compare1, compare2ch: r.compare2 },
      };
    });
    const result = { sampleBytes: o.size, reps: o.reps, cpus: os.availableParallelism(), loadAverage: os.loadavg(), methods: summary };
    if (o.json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    const head = ['method', 'level', 'raw MB/s', '1ch MB/s', '1ch/raw', '2ch MB/s', '2ch/1ch', 'raw x2 MB/s', 'raw x2/raw', 'other load (cores)'];
    const lines = summary.map((s) => [
      s.method,
      s.level === null ? '-' : String(s.level),
      s.rawMbps.toFixed(0),
      s.compare1chMbps.toFixed(0),
      s.ratioToRaw.toFixed(2),
      s.compare2chMbps.toFixed(0),
      s.scaling.toFixed(2),
      s.raw2ThreadsMbps.toFixed(0),
      s.rawScaling.toFixed(2),
      s.otherCores.toFixed(2),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
    const fmt = (l: string[]) => l.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
    console.log(
      [
        `compare compress throughput, ${o.size / 1024 ** 2} MiB sample, medians of ${o.reps}, ${result.cpus} CPUs, load average ${result.loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
        fmt(head),
        ...lines.map(fmt),
        'goals: 1ch/raw >= 0.9; 2ch/1ch >= 1.8 for zlib and zstd on 2 cores. raw x2: the codec alone on 2 threads at once (the',
        "machine's own ceiling for 2ch/1ch). \"other load\": cores other processes kept busy meanwhile (median).",
      ].join('\n'),
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
