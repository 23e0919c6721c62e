/**
 * One row of `compare`: the input sent through the transport's real
 * pipeline (MigrationSender, one channel worker per channel: zero pages split
 * off by the workers' scans onto the main stream as QEMU 7.2 does, the rest
 * in packets of up to 128 pages of one RAMBlock, QEMU's sync rule), decoded
 * back by the transport's channel workers (WorkerDecoder) and checked page
 * by page against the input, in memory bounded whatever the input's size.
 *
 * The sender runs twice. First timed, its streams discarded: compress MB/s
 * and CPU time measure the pipeline, not a disk. Then for the round trip:
 * over a loopback connection into channel workers that check every page
 * against the input (VerifySink: the input's own memory, or its image file
 * read with positioned reads) instead of storing it, so no second copy of
 * the input and no stream files exist. The streams of that run are kept in
 * memory as they pass, up to CAPTURE_BYTES; when they all fit, they are
 * decoded once more, timed, for decompress MB/s (the decode alone, as
 * QEMU's destination does it). A larger migration's decompress figure is the
 * round trip's decode time, which the sender may bound (decompressFrom).
 * With --emit the second run writes the streams to files instead, which are
 * decoded back (timed) and checked the same way. (Codecs are deterministic
 * per channel, but which channel takes a packet depends on timing, so two
 * runs over several channels may split the pages differently; the wire
 * bytes reported are those of the streams that were checked.)
 *
 * Timing excludes starting and stopping the worker threads (each imports
 * its codecs): compress is the sender's pass over memory (a PART section)
 * until every channel has sent its last packet and the sync after it; the
 * END section then closes the streams, untimed. CPU seconds are the
 * process's (all threads) over the same windows. Peak RSS is sampled over
 * the whole row.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BufferPool, DEFAULT_PROFILE, fileChunks, MultifdError, type AssembleReport, type StreamInput, type WireProfileName } from '@multifd/core';
import {
  IncomingMigration,
  MAIN_STREAM_FILE,
  MigrationSender,
  WorkerDecoder,
  channelStreamFile,
  decodeWithWorkers,
  payloadPool,
  readBufferPool,
  type SenderBlock,
} from '@multifd/transport';
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
  /**
   * What decompress timed: 'streams', a decode of the row's whole streams
   * alone (kept in memory, or --emit's files); 'round-trip', the decode while
   * the sender produced them (streams over CAPTURE_BYTES): a lower bound
   * when compression is the slower side.
   */
  decompressFrom: 'streams' | 'round-trip';
  peakRssBytes: number;
  /**
   * With --sample: what the row measured on the sample. inputBytes, wireBytes,
   * zeroPages and ratio above are then projected to the whole input, and
   * wireRelativeError is one standard error of the projected wire bytes.
   */
  sample?: { inputBytes: number; wireBytes: number; zeroPages: number; wireRelativeError: number };
  /** The decoded memory equals the input and the zero pages came back as sent. */
  verified: boolean;
}

/** compress: the timed run; write: the run whose streams are checked; decompress: decoding them back. */
export type RowPhase = 'compress' | 'write' | 'decompress';

/** Streams of the round trip kept in memory for the timed decode, at most. */
export const CAPTURE_BYTES = 192 * 1024 ** 2;
const CAPTURE_SEGMENT = 8 * 1024 ** 2;

/** Buffers every row of a compare run shares (fresh ones per row would raise RSS row after row: freed memory is not always given back). */
export interface RowBuffers {
  readBuffers: BufferPool;
  payloads: BufferPool;
  /** Segments the round trip's streams are kept in (CAPTURE_BYTES at most). */
  capture: BufferPool;
}

/** The shared buffers for rows of up to `channels` channels. */
export function rowBuffers(channels: number): RowBuffers {
  return { readBuffers: readBufferPool(channels + 1), payloads: payloadPool(Math.min(4 * channels, 32)), capture: new BufferPool(CAPTURE_SEGMENT, CAPTURE_BYTES / CAPTURE_SEGMENT) };
}

export interface RunRowOptions {
  /** --emit: write the row's streams (main.bin, ch<id>.bin) here, an empty directory. */
  emitDir?: string;
  buffers: RowBuffers;
  codecModules: readonly string[];
  signal?: AbortSignal;
  /** Progress: which phase, and pages done so far in it. */
  onProgress?: (phase: RowPhase, pages: number) => void;
}

/** The file names of a row's streams, as the sender writes them. */
export function streamFileNames(channels: number): string[] {
  return [MAIN_STREAM_FILE, ...Array.from({ length: channels }, (_, id) => channelStreamFile(id))];
}

export async function runRow(spec: RowSpec, blocks: readonly SenderBlock[], o: RunRowOptions): Promise<RowMeasurement> {
  const inputBytes = blocks.reduce((n, b) => n + b.usedLength, 0);
  const rss = rssSampler();
  try {
    const timedRun = await compress(spec, blocks, o, 'discard');
    const trip = await (o.emitDir !== undefined ? emitted(spec, blocks, o, o.emitDir) : roundTrip(spec, blocks, o)).catch((e: unknown) => {
      throw MultifdError.is(e, 'ERR_MULTIFD_VERIFY') ? new MultifdError('ERR_MULTIFD_VERIFY', `verification failed for ${label(spec)}: ${e.detail}`, e.location) : e;
    });
    if (trip.zeroPages !== timedRun.zeroPages) {
      throw new MultifdError('ERR_MULTIFD_INCOMPLETE', `${label(spec)}: ${timedRun.zeroPages} zero pages in one run, ${trip.zeroPages} in the next`);
    }
    check(spec, blocks, trip.report, trip.zeroPages);
    return {
      method: spec.method,
      level: spec.level ?? null,
      channels: spec.channels,
      profile: spec.profile,
      inputBytes,
      zeroPages: trip.zeroPages,
      wireBytes: trip.wireBytes,
      mainBytes: trip.mainBytes,
      channelBytes: trip.channelBytes,
      ratio: inputBytes / trip.wireBytes,
      compress: rate(timedRun.timed, inputBytes),
      decompress: rate(trip.decode, inputBytes),
      decompressFrom: trip.decompressFrom,
      peakRssBytes: rss.peak(),
      verified: true,
    };
  } finally {
    rss.stop();
  }
}

interface Trip {
  report: AssembleReport;
  zeroPages: number;
  wireBytes: number;
  mainBytes: number;
  channelBytes: number[];
  decode: Window;
  decompressFrom: 'streams' | 'round-trip';
}

export function label(spec: Pick<RowSpec, 'method' | 'level' | 'channels' | 'profile'>): string {
  return `${spec.method}${spec.level !== undefined ? ` level ${spec.level}` : ''}, ${spec.channels} channel${spec.channels === 1 ? '' : 's'}${spec.profile === DEFAULT_PROFILE.name ? '' : `, ${spec.profile}`}`;
}

function rate(t: Window, bytes: number): Timed {
  return { ...t, mbps: t.seconds > 0 ? bytes / 1e6 / t.seconds : 0 };
}

function senderOf(spec: RowSpec, blocks: readonly SenderBlock[], o: RunRowOptions, target: { output: 'discard' | { files: string } } | { to: string }): MigrationSender {
  return new MigrationSender({
    ...target,
    channels: spec.channels,
    method: spec.codec.value,
    ...(spec.level !== undefined ? { level: spec.level } : {}),
    codecOptions: spec.codecOptions,
    codecModules: o.codecModules,
    profile: spec.profile,
    blocks,
  });
}

/** One whole migration by `sender`; the pass over every page is timed (QEMU's iteration), the END section after it is not. */
async function migrate(sender: MigrationSender, o: RunRowOptions, phase: RowPhase): Promise<{ wireBytes: number; zeroPages: number; timed: Window }> {
  sender.on('progress', (p) => o.onProgress?.(phase, p.pages));
  const onAbort = () => void sender.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await sender.start();
    const { timed: window } = await timed(() => sender.pass('all'));
    const result = await sender.complete([]);
    return { wireBytes: result.wireBytes, zeroPages: result.zeroPages ?? 0, timed: window };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await sender.abort().catch(() => undefined);
  }
}

function compress(spec: RowSpec, blocks: readonly SenderBlock[], o: RunRowOptions, output: 'discard' | { files: string }) {
  return migrate(senderOf(spec, blocks, o, { output }), o, output === 'discard' ? 'compress' : 'write');
}

/** --emit: streams to files, decoded back from them (timed) and checked against the input. */
async function emitted(spec: RowSpec, blocks: readonly SenderBlock[], o: RunRowOptions, dir: string): Promise<Trip> {
  const sent = await compress(spec, blocks, o, { files: dir });
  const files = streamFileNames(spec.channels).map((f) => path.join(dir, f));
  const sizes = files.map((f) => fs.statSync(f).size);
  const wireBytes = sizes.reduce((n, s) => n + s, 0);
  if (wireBytes !== sent.wireBytes) {
    throw new MultifdError('ERR_MULTIFD_INCOMPLETE', `${label(spec)}: the sender counted ${sent.wireBytes} bytes but wrote ${wireBytes}`, { file: dir });
  }
  const open = (file: string): StreamInput => ({ label: file, source: fileChunks(file) });
  const decoded = await checkedDecode(spec, blocks, o, { main: open(files[0]!), channels: files.slice(1).map(open) });
  return { report: decoded.report, zeroPages: sent.zeroPages, wireBytes, mainBytes: sizes[0]!, channelBytes: sizes.slice(1), decode: decoded.timed, decompressFrom: 'streams' };
}

/**
 * The round trip: the sender over a loopback connection into channel
 * workers that check every page against the input. The streams are kept in
 * memory as they pass while they fit in CAPTURE_BYTES, then decoded once
 * more, alone and timed.
 */
async function roundTrip(spec: RowSpec, blocks: readonly SenderBlock[], o: RunRowOptions): Promise<Trip> {
  const incoming = new IncomingMigration({ listen: '127.0.0.1:0', channels: spec.channels, readBuffers: o.buffers.readBuffers, onFailure: () => undefined });
  const capture = new StreamCapture(CAPTURE_BYTES, o.buffers.capture);
  const decoder = await WorkerDecoder.start({
    channels: spec.channels,
    codecModules: o.codecModules,
    codecOptions: spec.codecOptions,
    method: spec.codec.value,
    verify: blocks,
    payloads: o.buffers.payloads,
    onFailure: (e) => incoming.fail(e),
  });
  try {
    const { port } = await incoming.listen();
    const inputs = {
      main: { label: 'main stream', source: capture.tee(0, incoming.main) },
      channels: incoming.channels.map((c, i) => ({ label: c.label, source: capture.tee(i + 1, c) })),
    };
    const started = process.cpuUsage();
    const t0 = performance.now();
    const decoding = decoder.decode(inputs, { method: spec.codec.value, channelCount: spec.channels, onProgress: (p) => o.onProgress?.('decompress', p.pages) }).then((report) => {
      incoming.acknowledge();
      return report;
    });
    decoding.catch(() => undefined);
    const sent = await migrate(senderOf(spec, blocks, o, { to: `127.0.0.1:${port}` }), o, 'write').catch(async (e: unknown) => {
      // The decoder's error (a page that differs) is the one to report.
      throw await decoding.then(() => e, (d: unknown) => d);
    });
    const report = await decoding;
    const tripDecode: Window = { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSeconds(started) };
    const wire = capture.bytes;
    const wireBytes = wire.reduce((n, b) => n + b, 0);
    if (wireBytes !== sent.wireBytes) throw new MultifdError('ERR_MULTIFD_INCOMPLETE', `${label(spec)}: the sender counted ${sent.wireBytes} bytes, ${wireBytes} arrived`);
    const common = { zeroPages: sent.zeroPages, wireBytes, mainBytes: wire[0]!, channelBytes: wire.slice(1) };
    const kept = capture.complete();
    if (!kept) return { report, ...common, decode: tripDecode, decompressFrom: 'round-trip' };
    const again = await checkedDecode(spec, blocks, o, {
      main: { label: 'main stream', source: replay(kept[0]!) },
      channels: kept.slice(1).map((chunks, i) => ({ label: `channel ${i}`, source: replay(chunks) })),
    });
    return { report: again.report, ...common, decode: again.timed, decompressFrom: 'streams' };
  } finally {
    capture.release();
    incoming.close();
    await decoder.terminate();
  }
}

/** Decode `inputs` with the channel workers, every page checked against the input; timed. */
async function checkedDecode(spec: RowSpec, blocks: readonly SenderBlock[], o: RunRowOptions, inputs: { main: StreamInput; channels: StreamInput[] }): Promise<{ report: AssembleReport; timed: Window }> {
  const decoded = await decodeWithWorkers(inputs, {
    codecModules: o.codecModules,
    codecOptions: spec.codecOptions,
    verify: blocks,
    payloads: o.buffers.payloads,
    assemble: { method: spec.codec.value, onProgress: (p) => o.onProgress?.('decompress', p.pages) },
    ...(o.signal ? { signal: o.signal } : {}),
  });
  return { report: decoded.report, timed: { seconds: decoded.decodeMs / 1000, cpuSeconds: decoded.cpuSeconds } };
}

/** Every page came back (checked against the input as it came), and every zero page as a zero record. */
function check(spec: RowSpec, blocks: readonly SenderBlock[], report: AssembleReport, zeroPages: number): void {
  const fail = (what: string) => new MultifdError('ERR_MULTIFD_VERIFY', `verification failed for ${label(spec)}: ${what}`);
  for (const b of blocks) {
    const r = report.ramblocks.find((x) => x.name === b.name);
    if (!r || r.missing !== 0 || r.pages !== b.usedLength / 4096) throw fail(`RAMBlock ${JSON.stringify(b.name)} did not come back whole (${r ? r.missing : b.usedLength / 4096} pages missing)`);
  }
  // Zero pages arrive as main-stream records (qemu-7.2) or listed in packets (qemu-10).
  const zeroReceived = (report.main?.zeroRecords ?? 0) + report.channels.reduce((n, c) => n + c.zeroPages, 0);
  if (zeroReceived !== zeroPages) throw fail(`${zeroPages} zero pages sent, ${zeroReceived} received`);
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/**
 * The bytes of each stream of a migration as they pass, counted, and copied
 * into segments of `pool` (reused row after row: fresh memory per row would
 * raise RSS row after row) while all of them together fit in `limit` bytes;
 * past it, nothing more is kept and the segments go back.
 */
class StreamCapture {
  readonly bytes: number[] = [];
  /** Per stream: its segments and how full the last one is. */
  readonly #streams: { segments: Uint8Array[]; used: number }[] = [];
  #kept = 0;
  #over = false;

  constructor(
    readonly limit: number,
    readonly pool: BufferPool,
  ) {}

  async *tee(index: number, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    this.bytes[index] ??= 0;
    const stream = (this.#streams[index] ??= { segments: [], used: this.pool.size });
    for await (const chunk of source) {
      this.bytes[index]! += chunk.length;
      if (!this.#over && this.#kept + chunk.length > this.limit) this.#drop();
      if (!this.#over) {
        this.#keep(stream, chunk);
        this.#kept += chunk.length;
      }
      yield chunk;
    }
  }

  /** Every stream's bytes (views of the segments, valid until release()), or undefined when they did not all fit. */
  complete(): Uint8Array[][] | undefined {
    if (this.#over) return undefined;
    return this.#streams.map((s) => (s ? s.segments.map((seg, i) => (i === s.segments.length - 1 ? seg.subarray(0, s.used) : seg)) : []));
  }

  /** Give the segments back to the pool. */
  release(): void {
    this.#drop();
  }

  #keep(stream: { segments: Uint8Array[]; used: number }, chunk: Uint8Array): void {
    for (let at = 0; at < chunk.length; ) {
      if (stream.used === this.pool.size) {
        stream.segments.push(new Uint8Array(this.pool.get()));
        stream.used = 0;
      }
      const n = Math.min(chunk.length - at, this.pool.size - stream.used);
      stream.segments[stream.segments.length - 1]!.set(chunk.subarray(at, at + n), stream.used);
      stream.used += n;
      at += n;
    }
  }

  #drop(): void {
    this.#over = true;
    for (const s of this.#streams) if (s) for (const seg of s.segments.splice(0)) this.pool.put(seg.buffer);
  }
}

async function* replay(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}
