/**
 * Decoding a migration's streams with one worker thread per channel: the
 * part of receiving that does not care where the bytes come from. The
 * receiver feeds it sockets; `decodeWithWorkers` feeds it files (what
 * `compare` uses to measure decompression through the real pipeline).
 */
import * as fs from 'node:fs';
import {
  FileSink,
  type BufferPool,
  MemorySink,
  MultifdError,
  assembleMigration,
  type AssembleOptions,
  type AssembleReport,
  type PageSink,
  type RAMBlockInfo,
  type StreamInput,
} from '@multifd/core';
import { BUILTIN_CODEC_MODULES, loadCodecs, workerSpecifier } from '../codecs.js';
import { makeDirectory } from '../dirs.js';
import { DEFAULTS } from '../options.js';
import type { RecvJob, RecvTarget } from '../worker/protocol.js';
import { WorkerHandle } from '../worker/worker-handle.js';
import type { RecvWorkerData } from './recv-worker.js';
import { payloadPool, workerApplier } from './worker-applier.js';
import { VerifySink } from './verify-sink.js';
import type { SenderBlock } from '../memory.js';

export interface WorkerDecoderOptions {
  channels: number;
  codecModules?: readonly string[];
  codecOptions?: Record<string, unknown>;
  /** The method the migration must use (name or value): refused before any worker starts when no module registers it. */
  method?: string | number;
  /** Write RAMBlocks into DIR (sparse files); default: shared memory. */
  out?: string;
  maxRamBytes?: number;
  /** Memory mode: reserve and touch this many bytes up front (see MemorySinkOptions.preallocBytes). */
  preallocBytes?: number;
  /** Decode into this sink (memory the caller owns) instead of a new one. */
  sink?: MemorySink;
  /** Store nothing: check every page against these blocks, the migration's source (see VerifySink). */
  verify?: readonly SenderBlock[];
  /** Payload buffers to use (a caller decoding many migrations shares one pool); default: a pool per decode. */
  payloads?: BufferPool;
  window?: number;
  onFailure: (e: MultifdError) => void;
}

/** Channel workers plus the sink they write into. */
export class WorkerDecoder {
  readonly sink: MemorySink | FileSink | VerifySink;
  /** The sink when it holds the RAMBlocks in memory. */
  readonly memory: MemorySink | undefined;
  /** The sink when it writes the RAMBlocks to files. */
  readonly files: FileSink | undefined;
  readonly #workers: WorkerHandle<RecvJob>[];
  readonly #o: WorkerDecoderOptions;
  readonly registry: Awaited<ReturnType<typeof loadCodecs>>;

  private constructor(o: WorkerDecoderOptions, registry: Awaited<ReturnType<typeof loadCodecs>>, workers: WorkerHandle<RecvJob>[]) {
    this.#o = o;
    this.registry = registry;
    this.#workers = workers;
    if (o.out) makeDirectory(o.out);
    if (o.verify) this.sink = new VerifySink(o.verify);
    else if (o.out) this.sink = this.files = new FileSink(o.out);
    else this.sink = this.memory = o.sink ?? new MemorySink({ shared: true, ...(o.maxRamBytes ? { maxBlockBytes: o.maxRamBytes } : {}), ...(o.preallocBytes ? { preallocBytes: o.preallocBytes } : {}) });
  }

  /** Start the workers (each imports the codec modules) and wait until they are ready. */
  static async start(o: WorkerDecoderOptions): Promise<WorkerDecoder> {
    const modules = (o.codecModules ?? BUILTIN_CODEC_MODULES).map(workerSpecifier);
    const registry = await loadCodecs(modules);
    if (o.method !== undefined) registry.lookup(o.method);
    const file = new URL('./recv-worker.js', import.meta.url);
    const workers = Array.from({ length: o.channels }, (_, channel) =>
      new WorkerHandle<RecvJob>(file, { channel, codecModules: modules, ...(o.codecOptions ? { codecOptions: o.codecOptions } : {}) } satisfies RecvWorkerData, {
        channel,
        readyTimeout: DEFAULTS.connectTimeoutMs,
        onFailure: o.onFailure,
      }),
    );
    await Promise.all(workers.map((w) => w.ready()));
    return new WorkerDecoder(o, registry, workers);
  }

  /**
   * Run core's assembler over `inputs` with the workers decoding every
   * packet. `extra` passes the rest of AssembleOptions (uuid, method,
   * progress, signal, ...).
   */
  async decode(
    inputs: { main?: StreamInput; channels: readonly StreamInput[] },
    extra: Omit<AssembleOptions, 'main' | 'channels' | 'registry' | 'sink' | 'applier'> = {},
  ): Promise<AssembleReport> {
    if (inputs.channels.length > this.#workers.length) {
      throw new MultifdError('ERR_MULTIFD_CHANNEL_ID', `${inputs.channels.length} channel streams for ${this.#workers.length} workers`);
    }
    const sink = this.sink;
    const workers = this.#workers;
    // A window of payloads per channel ready up front (at most 32, ~17 MB).
    const payloads = this.#o.payloads ?? payloadPool(Math.min(4 * workers.length, 32));
    return assembleMigration({
      window: this.#o.window ?? DEFAULTS.window,
      ...extra,
      ...(inputs.main ? { main: inputs.main } : {}),
      channels: inputs.channels,
      registry: this.registry,
      sink,
      // Each channel's worker opens the sink in its thread (BLOCKS) before its first packet.
      applier: (slot) => workerApplier(workers[slot.slot]!, payloads, sink),
      // Payloads that span reads are assembled straight into buffers the workers hand back.
      allocatePayload: (n) => payloads.view(n),
      mainStream: { ...(this.#o.maxRamBytes ? { maxRamBytes: this.#o.maxRamBytes } : {}), ...(extra.mainStream ?? {}) },
    });
  }

  /** Let the workers finish and exit. */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.close()));
  }

  /** Stop the workers now. */
  async terminate(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate().catch(() => undefined)));
  }
}

/**
 * Decode captured streams (or any byte sources) with one worker per channel,
 * into shared memory or `out`. Resolves with the report, the sink, and the
 * wall-clock ms and CPU seconds (this process, all threads: the workers are
 * threads) of the decode alone, the workers' start excluded.
 */
export async function decodeWithWorkers(
  inputs: { main?: StreamInput; channels: readonly StreamInput[] },
  options: Omit<WorkerDecoderOptions, 'channels' | 'onFailure'> & {
    assemble?: Omit<AssembleOptions, 'main' | 'channels' | 'registry' | 'sink' | 'applier' | 'signal'>;
    signal?: AbortSignal;
  } = {},
): Promise<{ report: AssembleReport; sink: MemorySink | FileSink | VerifySink; files?: Map<string, string>; decodeMs: number; cpuSeconds: number }> {
  let failure: MultifdError | undefined;
  const abort = new AbortController();
  const decoder = await WorkerDecoder.start({
    ...options,
    channels: Math.max(1, inputs.channels.length),
    onFailure: (e) => {
      failure ??= e;
      abort.abort(e);
    },
  });
  const signal = options.signal ? AbortSignal.any([abort.signal, options.signal]) : abort.signal;
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const report = await decoder.decode(inputs, { ...(options.assemble ?? {}), signal });
    const decodeMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    if (failure) throw failure;
    await decoder.close();
    return { report, sink: decoder.sink, ...(decoder.files ? { files: decoder.files.files() } : {}), decodeMs, cpuSeconds: (used.user + used.system) / 1e6 };
  } catch (e) {
    // The error that stopped the decode, taken before terminating: each
    // terminated worker reports its own exit as a failure too.
    const error = options.signal?.aborted ? options.signal.reason : (failure ?? e);
    await decoder.terminate();
    throw error;
  }
}
