/**
 * Re-encodes a migration on its way to a destination: the main stream is
 * forwarded byte for byte, and the multifd pages are decoded (one worker per
 * incoming channel) and encoded again with another codec and channel count
 * (one worker per outgoing channel), epoch by epoch: at each sync point of
 * the incoming migration, every outgoing channel gets its SYNC after the
 * epoch's pages, so the destination's syncs stay in step with the EOS
 * records it reads from the forwarded main stream. `proxy` feeds it sockets,
 * `replay` feeds it captured files.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { DEFAULT_PROFILE, INITIAL_PACKET_SIZE, MultifdError, NIL_UUID, assembleMigration, resolveLevel, wireProfile, type AssembleReport, type PageSink, type StreamInput, type WireProfileName } from '@multifd/core';
import { BUILTIN_CODEC_MODULES, loadCodecs, workerSpecifier } from '../codecs.js';
import { checkTlsOptions, connectWhenListening, endSocket, parseAddress, socketError, writeChunks, type Address, type TlsOptions } from '../net.js';
import { DEFAULTS, checkChannelCount, withTimeout } from '../options.js';
import { throttle, withRates, type TransferProgress } from '../progress.js';
import { payloadPool } from '../receiver/worker-applier.js';
import { stagingApplier } from './staging-applier.js';
import type { RecvWorkerData } from '../receiver/recv-worker.js';
import { SendChannelPool } from '../sender/channel-pool.js';
import { StagingArea } from '../staging.js';
import type { RecvJob } from '../worker/protocol.js';
import { WorkerHandle } from '../worker/worker-handle.js';

export interface RelayOptions {
  /** The destination (a QEMU started with -incoming defer, or `multifd receive`). */
  to: Address | string;
  /** Outgoing channels (must equal the destination's multifd-channels). */
  channels: number;
  /** Outgoing method (must equal the destination's multifd-compression). */
  method: string | number;
  level?: number;
  /** Expected incoming method; default: from the packets. */
  inMethod?: string | number;
  codecOptions?: Record<string, unknown>;
  codecModules?: readonly string[];
  /** uuid for the outgoing channels; default: the one the incoming channels carry. */
  uuid?: Uint8Array;
  tls?: TlsOptions;
  /** Wire variant of the outgoing channels (method bits, SYNC packets, zero pages in packets); default qemu-7.2. */
  profile?: WireProfileName;
  window?: number;
  /**
   * Packets decoded and waiting for an outgoing channel, at most (each slot
   * is 128 pages, 512 KiB of shared memory); default: every incoming and
   * outgoing channel's window, at least 8.
   */
  stagingSlots?: number;
  connectTimeoutMs?: number;
  /** How long to wait for the destination to close the main connection at the end. */
  closeTimeoutMs?: number;
  progressIntervalMs?: number;
}

export interface RelayInputs {
  main: StreamInput;
  channels: readonly StreamInput[];
}

export interface RelayReport {
  /** What came in (as decode reports it). */
  input: AssembleReport;
  /** What went out. */
  output: TransferProgress;
}

export interface RelayEvents {
  progress: [TransferProgress];
}

/** A sink that is never written: the relay's applier takes every page. */
const NO_SINK: PageSink = {
  setBlocks() {},
  pageViews() {
    throw new MultifdError('ERR_MULTIFD_STATE', 'relay: pages go to the outgoing channels, not to a sink');
  },
  commitPages() {},
  fillPages() {},
  close() {},
};

export class MigrationRelay extends EventEmitter<RelayEvents> {
  readonly #o: RelayOptions;
  readonly #address: Address;
  #outMain: Socket | undefined;
  #mainBytes = 0;
  #pool: SendChannelPool | undefined;
  #inWorkers: WorkerHandle<RecvJob>[] = [];
  #failure: MultifdError | undefined;
  readonly #abort = new AbortController();
  #startedAt = 0;
  #pages = 0;
  #epochs = 0;
  readonly #progress: ReturnType<typeof throttle>;

  constructor(options: RelayOptions) {
    super();
    this.#o = options;
    this.#address = typeof options.to === 'string' ? parseAddress(options.to) : options.to;
    if (options.tls) checkTlsOptions(options.tls, 'client');
    checkChannelCount(options.channels);
    if (options.stagingSlots !== undefined && !(Number.isInteger(options.stagingSlots) && options.stagingSlots >= 1 && options.stagingSlots <= 4096)) {
      throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `stagingSlots must be 1-4096, got ${options.stagingSlots}`);
    }
    this.#progress = throttle(() => this.emit('progress', this.progress()), options.progressIntervalMs ?? DEFAULTS.progressIntervalMs);
  }

  progress(): TransferProgress {
    const channels = this.#pool?.stats.map((s) => ({ ...s })) ?? [];
    return withRates({
      pages: this.#pages,
      wireBytes: this.#mainBytes + channels.reduce((n, c) => n + c.wireBytes, 0) + channels.length * INITIAL_PACKET_SIZE,
      mainBytes: this.#mainBytes,
      channels,
      epochs: this.#epochs,
      elapsedMs: this.#startedAt ? Date.now() - this.#startedAt : 0,
    });
  }

  /** Stop: drop the outgoing connections and the workers. */
  abort(reason?: unknown): void {
    if (this.#failure) return;
    this.#failure = MultifdError.is(reason) ? reason : MultifdError.wrap(reason ?? 'aborted', 'ERR_MULTIFD_CANCELLED');
    this.#abort.abort(this.#failure);
    this.#outMain?.destroy();
    void this.#pool?.terminate(this.#failure);
    for (const w of this.#inWorkers) void w.terminate(this.#failure).catch(() => undefined);
  }

  async run(inputs: RelayInputs): Promise<RelayReport> {
    const o = this.#o;
    this.#startedAt = Date.now();
    const window = o.window ?? DEFAULTS.window;
    try {
      const modules = (o.codecModules ?? BUILTIN_CODEC_MODULES).map(workerSpecifier);
      const registry = await loadCodecs(modules);
      const outCodec = registry.lookup(o.method);
      resolveLevel(outCodec, o.level);
      const profile = o.profile ? wireProfile(o.profile) : DEFAULT_PROFILE;
      profile.methodFlags(outCodec.value);
      const staging = new StagingArea(o.stagingSlots ?? Math.max(8, (inputs.channels.length + o.channels) * window));
      const file = new URL('../receiver/recv-worker.js', import.meta.url);
      this.#inWorkers = inputs.channels.map(
        (_, channel) =>
          new WorkerHandle<RecvJob>(file, { channel, codecModules: modules, ...(o.codecOptions ? { codecOptions: o.codecOptions } : {}) } satisfies RecvWorkerData, {
            channel,
            readyTimeout: DEFAULTS.connectTimeoutMs,
            onFailure: (e) => this.abort(e),
          }),
      );
      await Promise.all(this.#inWorkers.map((w) => w.ready()));
      await Promise.all(this.#inWorkers.map((w) => w.run({ code: 'BLOCKS', seq: 0, target: { kind: 'staging', memory: staging.memory } })));

      // Connect to the destination when the source starts (its main stream's
      // first bytes, or a channel's initial packet), as a QEMU source does when
      // told to migrate: a proxy may start before its destination listens.
      // The destination takes its first connection as the main stream: it
      // connects before any channel.
      const timeoutMs = o.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
      let sourceStarted!: () => void;
      const mainConnected = new Promise<void>((resolve) => (sourceStarted = resolve)).then(async () => {
        const socket = await connectWhenListening(this.#address, { timeoutMs, label: 'outgoing main stream', ...(o.tls ? { tls: o.tls } : {}) });
        this.#outMain = socket;
        if (this.#failure) socket.destroy();
        socket.on('error', (e) => this.abort(socketError(e, { stream: 'outgoing main stream' })));
        socket.on('data', () => undefined);
        return { socket, closed: new Promise<void>((resolve) => socket.once('close', () => resolve())) };
      });
      mainConnected.catch(() => undefined); // awaited below
      const connectMain = () => {
        sourceStarted();
        return mainConnected;
      };

      // Outgoing channels need the VM uuid, which the first incoming initial packet tells.
      let uuidKnown!: (uuid: Uint8Array) => void;
      const uuid = new Promise<Uint8Array>((resolve) => (uuidKnown = resolve));
      if (o.uuid) uuidKnown(o.uuid);
      const outReady = Promise.all([uuid, mainConnected]).then(async ([u]) => {
        const pool = new SendChannelPool(
          {
            address: this.#address,
            ...(o.tls ? { tls: o.tls } : {}),
            connectTimeoutMs: timeoutMs,
            codecModules: modules,
            method: outCodec.value,
            ...(o.level !== undefined ? { level: o.level } : {}),
            ...(o.codecOptions ? { codecOptions: o.codecOptions } : {}),
            uuid: u,
            profile: profile.name,
            blocks: [],
            staging: staging.memory,
          },
          o.channels,
          { window, readyTimeoutMs: timeoutMs + 5_000, onFailure: (e) => this.abort(e), onStats: () => this.#progress.tick() },
        );
        this.#pool = pool;
        if (this.#failure) await pool.terminate(this.#failure);
        await pool.ready();
        await pool.connect();
        return pool;
      });
      outReady.catch(() => undefined);

      const payloads = payloadPool();
      const applier = (slot: { slot: number }) => stagingApplier({ worker: this.#inWorkers[slot.slot]!, payloads, staging, out: outReady, profile });

      const input = await assembleMigration({
        main: { label: inputs.main.label, source: this.#forward(inputs.main.source, connectMain) },
        channels: inputs.channels,
        registry,
        ...(o.inMethod !== undefined ? { method: o.inMethod } : {}),
        sink: NO_SINK,
        applier,
        allocatePayload: (n) => payloads.view(n),
        window,
        signal: this.#abort.signal,
        onInitialPacket: (p) => {
          sourceStarted();
          uuidKnown(p.uuid);
        },
        onSyncPoint: async () => {
          await (await outReady).sync();
          this.#epochs++;
        },
        onProgress: (p) => {
          this.#pages = p.pages;
          this.#progress.tick();
        },
      });
      if (this.#failure) throw this.#failure;
      if (!o.uuid && input.channels.length === 0) uuidKnown(NIL_UUID);
      const pool = await outReady;
      await pool.close();
      const outMain = await connectMain();
      await endSocket(outMain.socket);
      await this.#waitClose(outMain.closed);
      for (const w of this.#inWorkers) await w.close();
      this.#progress.flush();
      return { input, output: this.progress() };
    } catch (e) {
      const error = this.#failure ?? (MultifdError.is(e) ? e : MultifdError.wrap(e, 'ERR_MULTIFD_CANCELLED'));
      this.abort(error);
      throw error;
    }
  }

  /**
   * Pass the incoming main stream through while writing it to the
   * destination (connected at its first chunk). Each chunk is written
   * (handed to the kernel) before it is passed on: the reader's hold on it
   * covers both.
   */
  async *#forward(source: AsyncIterable<Uint8Array>, connectMain: () => Promise<{ socket: Socket }>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      const { socket } = await connectMain();
      await writeChunks(socket, [chunk]);
      this.#mainBytes += chunk.length;
      yield chunk;
    }
  }

  async #waitClose(closed: Promise<void>): Promise<void> {
    const ms = this.#o.closeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs;
    await withTimeout(closed, ms, () => new MultifdError('ERR_MULTIFD_TIMEOUT', `the destination did not close the main connection within ${ms} ms`));
  }
}
