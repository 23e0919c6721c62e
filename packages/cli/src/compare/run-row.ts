/**
 * One row of `compare`: the input sent through the transport's real
 * pipeline (MigrationSender, one channel worker per channel: zero pages split
 * off by the workers' scans onto the main stream as QEMU 7.2 does, the rest
 * in packets of up to 128 pages of one RAMBlock, QEMU's sync rule), then
 * decoded back by the transport's channel workers (WorkerDecoder) and
 * compared with the input byte for byte.
 *
 * The sender runs twice: once timed with its streams discarded (compress
 * MB/s and CPU time measure the pipeline, not the disk), once writing the
 * streams to files exactly as they would go on the wire; those files are what
 * the row's wire bytes count, what --emit keeps and what is decoded back and
 * verified. (Codecs are deterministic per channel, but which channel takes a
 * packet depends on timing, so two runs over several channels may split the
 * pages differently; the figures reported are those of the verified files.)
 *
 * The decode goes into memory allocated (and faulted in) once per compare
 * run and zeroed before each row (DecodeTarget), so a row's figures do not
 * include first-touch page faults of fresh memory, and memory stays at about
 * twice the input however many rows run.
 *
 * Timing excludes starting and stopping the worker threads (each imports
 * its codecs): compress is the sender's pass over memory (a PART section)
 * until every channel has sent its last packet and the sync after it; the
 * END section then closes the streams, untimed. Decompress is the decode of
 * the files. CPU seconds are the
 * process's (all threads) over the same windows. Peak RSS is sampled over
 * the whole row.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MemorySink, MultifdError, PAGE_SIZE, fileChunks, type AssembleReport, type RAMBlock, type WireProfileName } from '@multifd/core';
import { MAIN_STREAM_FILE, MigrationSender, channelStreamFile, decodeWithWorkers } from '@multifd/transport';
import { rssSampler, timed, type Window } from './timing.js';
import type { RowSpec } from './plan.js';

export interface Timed extends Window {
  /** Input MB (10^6 bytes) per wall-clock second. */
  mbps: number;
}

export interface RowMeasurement {
  method: string;
  level: number | null;
  channels: number;
  /** Wire profile: qemu-7.2 (zero pages as main-stream records) or qemu-10 (zero pages listed in packets). */
  profile: WireProfileName;
  inputBytes: number;
  /** All-zero pages: main-stream ZERO records (qemu-7.2) or listed in packets (qemu-10). */
  zeroPages: number;
  /** Everything on the wire: main stream, initial packets, packet headers and payloads. */
  wireBytes: number;
  mainBytes: number;
  /** Bytes of each channel's stream, by id. */
  channelBytes: number[];
  /** inputBytes / wireBytes. */
  ratio: number;
  compress: Timed;
  decompress: Timed;
  peakRssBytes: number;
  /** The decoded memory equals the input and the zero pages came back as sent. */
  verified: boolean;
}

/** compress: the timed run; write: the run that writes the streams; decompress: decoding them back. */
export type RowPhase = 'compress' | 'write' | 'decompress';

export interface RunRowOptions {
  /** Where the row's streams are written (main.bin, ch<id>.bin); must not exist yet or be empty. */
  dir: string;
  /** The memory the row decodes into (one for all rows of a run). */
  target: DecodeTarget;
  codecModules: readonly string[];
  signal?: AbortSignal;
  /** Progress: which phase, and pages done so far in it. */
  onProgress?: (phase: RowPhase, pages: number) => void;
}

/** The file names of a row's streams, as the sender writes them. */
export function streamFileNames(channels: number): string[] {
  return [MAIN_STREAM_FILE, ...Array.from({ length: channels }, (_, id) => channelStreamFile(id))];
}

/**
 * Memory for decoding rows back: one shared block per input block, touched
 * once when made and zeroed before every row (the assembler writes zero
 * pages only over pages it wrote before, so the target must start zeroed;
 * zeroing also means a page a row fails to deliver cannot pass as a leftover
 * of an earlier row).
 */
export class DecodeTarget {
  readonly #blocks = new Map<string, Uint8Array>();

  constructor(blocks: readonly RAMBlock[]) {
    for (const b of blocks) this.#blocks.set(b.name, new Uint8Array(new SharedArrayBuffer(b.usedLength)).fill(0));
  }

  /** A zeroed sink over the memory, for one row. */
  sink(): MemorySink {
    for (const m of this.#blocks.values()) m.fill(0);
    return new MemorySink({ shared: true, blocks: this.#blocks });
  }
}

export async function runRow(spec: RowSpec, blocks: readonly RAMBlock[], o: RunRowOptions): Promise<RowMeasurement> {
  const inputBytes = blocks.reduce((n, b) => n + b.usedLength, 0);
  const rss = rssSampler();
  try {
    const timedRun = await compress(spec, blocks, o, 'discard');
    const sent = await compress(spec, blocks, o, { files: o.dir });
    if (sent.zeroPages !== timedRun.zeroPages) {
      throw new MultifdError('ERR_MULTIFD_INCOMPLETE', `${label(spec)}: ${timedRun.zeroPages} zero pages in one run, ${sent.zeroPages} in the next`);
    }
    const files = streamFileNames(spec.channels).map((f) => path.join(o.dir, f));
    const sizes = files.map((f) => fs.statSync(f).size);
    const wireBytes = sizes.reduce((n, s) => n + s, 0);
    if (wireBytes !== sent.wireBytes) {
      throw new MultifdError('ERR_MULTIFD_INCOMPLETE', `${label(spec)}: the sender counted ${sent.wireBytes} bytes but wrote ${wireBytes}`, { file: o.dir });
    }
    const { report, timed, memory } = await decompress(spec, files, o);
    verify(spec, blocks, memory, report, sent.zeroPages);
    return {
      method: spec.method,
      level: spec.level ?? null,
      channels: spec.channels,
      profile: spec.profile,
      inputBytes,
      zeroPages: sent.zeroPages,
      wireBytes,
      mainBytes: sizes[0]!,
      channelBytes: sizes.slice(1),
      ratio: inputBytes / wireBytes,
      compress: rate(timedRun.timed, inputBytes),
      decompress: rate(timed, inputBytes),
      peakRssBytes: rss.peak(),
      verified: true,
    };
  } finally {
    rss.stop();
  }
}

export function label(spec: Pick<RowSpec, 'method' | 'level' | 'channels' | 'profile'>): string {
  return `${spec.method}${spec.level !== undefined ? ` level ${spec.level}` : ''}, ${spec.channels} channel${spec.channels === 1 ? '' : 's'}${spec.profile === 'qemu-10' ? ', qemu-10' : ''}`;
}

function rate(t: Window, bytes: number): Timed {
  return { ...t, mbps: t.seconds > 0 ? bytes / 1e6 / t.seconds : 0 };
}

async function compress(
  spec: RowSpec,
  blocks: readonly RAMBlock[],
  o: RunRowOptions,
  output: 'discard' | { files: string },
): Promise<{ wireBytes: number; zeroPages: number; timed: Window }> {
  const sender = new MigrationSender({
    output,
    channels: spec.channels,
    method: spec.codec.value,
    ...(spec.level !== undefined ? { level: spec.level } : {}),
    codecOptions: spec.codecOptions,
    codecModules: o.codecModules,
    profile: spec.profile,
    blocks,
  });
  const phase = output === 'discard' ? 'compress' : 'write';
  sender.on('progress', (p) => o.onProgress?.(phase, p.pages));
  const onAbort = () => void sender.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await sender.start();
    // Timed: one pass over every page, until every channel has sent its last
    // packet and the sync after it (QEMU's iteration). The END section that
    // follows has no pages; it only closes the streams and the threads.
    const { timed: window } = await timed(() => sender.pass('all'));
    const result = await sender.complete([]);
    return { wireBytes: result.wireBytes, zeroPages: result.zeroPages ?? 0, timed: window };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await sender.abort().catch(() => undefined);
  }
}

async function decompress(
  spec: RowSpec,
  files: readonly string[],
  o: RunRowOptions,
): Promise<{ report: AssembleReport; timed: Window; memory: (name: string) => Uint8Array | undefined }> {
  const open = (file: string) => ({ label: file, source: fileChunks(file) });
  const sink = o.target.sink();
  const decoded = await decodeWithWorkers(
    { main: open(files[0]!), channels: files.slice(1).map(open) },
    {
      codecModules: o.codecModules,
      codecOptions: spec.codecOptions,
      sink,
      assemble: { method: spec.codec.value, onProgress: (p) => o.onProgress?.('decompress', p.pages) },
      ...(o.signal ? { signal: o.signal } : {}),
    },
  );
  return { report: decoded.report, timed: { seconds: decoded.decodeMs / 1000, cpuSeconds: decoded.cpuSeconds }, memory: (name) => sink.block(name) };
}

/** The decoded memory must equal the input, and every zero page must have come back as a zero record. */
function verify(spec: RowSpec, blocks: readonly RAMBlock[], memory: (name: string) => Uint8Array | undefined, report: AssembleReport, zeroPages: number): void {
  const fail = (what: string) => new MultifdError('ERR_MULTIFD_VERIFY', `verification failed for ${label(spec)}: ${what}`);
  for (const b of blocks) {
    const got = memory(b.name);
    if (!got || got.length < b.usedLength) throw fail(`RAMBlock ${JSON.stringify(b.name)} did not come back whole`);
    const at = firstDifference(b.memory.subarray(0, b.usedLength), got.subarray(0, b.usedLength));
    if (at !== undefined) throw fail(`RAMBlock ${JSON.stringify(b.name)} differs from the input in the page at offset 0x${at.toString(16)}`);
  }
  // Zero pages arrive as main-stream records (qemu-7.2) or listed in packets (qemu-10).
  const zeroReceived = (report.main?.zeroRecords ?? 0) + report.channels.reduce((n, c) => n + c.zeroPages, 0);
  if (zeroReceived !== zeroPages) throw fail(`${zeroPages} zero pages sent, ${zeroReceived} received`);
}

/** Offset of the first page where `a` and `b` differ, or undefined. */
function firstDifference(a: Uint8Array, b: Uint8Array): number | undefined {
  const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (x.equals(y)) return undefined;
  for (let at = 0; at < x.length; at += PAGE_SIZE) {
    if (x.compare(y, at, at + PAGE_SIZE, at, at + PAGE_SIZE) !== 0) return at;
  }
  return undefined;
}
