/**
 * Sends a migration: a main connection carrying the QEMU-format RAM section
 * (header, RAMBlock list, zero pages as ZERO records, EOS at every sync, EOF)
 * and N multifd channels, each driven by its own worker thread. The main
 * thread only plans (MigrationPlanner) and schedules; pages stay in shared
 * memory and are read by the workers in place.
 *
 *   const sender = new MigrationSender({ to: '127.0.0.1:4444', channels: 2, method: 'zstd', blocks });
 *   await sender.start();                 // connect, START section
 *   await sender.pass();                  // every page (first iteration)
 *   await sender.pass(dirtyPages);        // more iterations
 *   await sender.complete(lastDirty);     // END section, EOF, close
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { INITIAL_PACKET_SIZE, DEFAULT_PROFILE, MigrationPlanner, MultifdError, NIL_UUID, resolveLevel, wireProfile, type CodecRegistry, type PageSelection, type PlanStep, type RAMBlock, type WireProfile, type WireProfileName } from '@multifd/core';
import { COMPLETION_ACK, isCompletionAck } from '../ack.js';
import { BUILTIN_CODEC_MODULES, loadCodecs, workerSpecifier } from '../codecs.js';
import { checkTlsOptions, parseAddress, socketError, type Address, type TlsOptions } from '../net.js';
import { MAIN_STREAM_FILE, openOutput, type LocalOutput, type StreamOutput } from '../outputs.js';
import { DEFAULTS, checkChannelCount, withTimeout } from '../options.js';
import { senderBlocks, type RAMBlockInput, type SenderBlock } from '../memory.js';
import { throttle, withRates, type TransferProgress } from '../progress.js';
import { SendChannelPool } from './channel-pool.js';

export interface SenderOptions {
  /** The receiver (`multifd receive`, a QEMU destination or a proxy). */
  to?: Address | string;
  /**
   * Instead of `to`: write the streams as files (DIR/main.bin, DIR/ch<id>.bin,
   * exactly as they would be on the wire) or discard them (to measure the
   * pipeline alone).
   */
  output?: LocalOutput;
  channels: number;
  /** Method name or value ("zstd", 2). */
  method: string | number;
  level?: number;
  codecOptions?: Record<string, unknown>;
  /** Modules the channel workers import to get codecs (default: nocomp, zlib, zstd). */
  codecModules?: readonly string[];
  blocks: readonly (RAMBlockInput | SenderBlock)[];
  uuid?: Uint8Array;
  tls?: TlsOptions;
  /** Wire variant: 'qemu-7.2' (default) or 'qemu-10' (see core's profile.ts). */
  profile?: WireProfileName;
  machine?: string;
  connectTimeoutMs?: number;
  /** Packets in flight per channel. */
  window?: number;
  /** How long complete() waits for the receiver to confirm the end of the migration. */
  closeTimeoutMs?: number;
  /**
   * How the end is confirmed: 'ack' (default) waits for our receiver's
   * acknowledgement (ack.ts) and treats a close without it as a failure;
   * 'close' accepts the peer closing the main connection (a QEMU destination).
   */
  confirm?: 'ack' | 'close';
  progressIntervalMs?: number;
}

export interface SenderEvents {
  progress: [TransferProgress];
}

export class MigrationSender extends EventEmitter<SenderEvents> {
  readonly blocks: SenderBlock[];
  readonly #o: SenderOptions;
  readonly #address: Address;
  #planner: MigrationPlanner<SenderBlock>;
  readonly #profile: WireProfile;
  #pool: SendChannelPool | undefined;
  #main: StreamOutput | undefined;
  #mainBytes = 0;
  #epochs = 0;
  #startedAt = 0;
  #failure: MultifdError | undefined;
  #state: 'new' | 'started' | 'done' | 'failed' = 'new';
  readonly #progress: ReturnType<typeof throttle>;
  readonly #blockIndex: Map<string, number>;
  #mainPeerClosed: Promise<void> | undefined;
  #prepared: Promise<void> | undefined;
  #fromPeer = new Uint8Array(0);

  constructor(options: SenderOptions) {
    super();
    this.#o = options;
    if ((options.to === undefined) === (options.output === undefined)) {
      throw new MultifdError('ERR_MULTIFD_BAD_OPTION', 'give the sender either `to` or `output`');
    }
    this.#address = typeof options.to === 'string' ? parseAddress(options.to) : (options.to ?? { host: '', port: 0 });
    if (options.tls && options.to !== undefined) checkTlsOptions(options.tls, 'client');
    checkChannelCount(options.channels);
    this.blocks = senderBlocks(options.blocks);
    this.#blockIndex = new Map(this.blocks.map((b, i) => [b.name, i]));
    this.#profile = options.profile ? wireProfile(options.profile) : DEFAULT_PROFILE;
    this.#planner = new MigrationPlanner<SenderBlock>({
      blocks: this.blocks,
      profile: this.#profile,
      ...(options.machine ? { machine: options.machine } : {}),
      mainChunk: DEFAULTS.mainChunk,
    });
    this.#progress = throttle(() => this.emit('progress', this.progress()), options.progressIntervalMs ?? DEFAULTS.progressIntervalMs);
  }

  /** Totals so far. */
  progress(): TransferProgress {
    const channels = this.#pool?.stats.map((s) => ({ ...s })) ?? [];
    const c = this.#planner.counts;
    return withRates({
      // The planner counts what the channels reported, so nothing is counted twice.
      pages: c.zeroPages + c.normalPages,
      zeroPages: c.zeroPages,
      wireBytes: this.#mainBytes + channels.reduce((s, ch) => s + ch.wireBytes, 0) + channels.length * INITIAL_PACKET_SIZE,
      mainBytes: this.#mainBytes,
      channels,
      epochs: this.#epochs,
      elapsedMs: this.#startedAt ? Date.now() - this.#startedAt : 0,
    });
  }

  /**
   * Start the channel workers (each loads its codec and sets up its
   * compression stream) without connecting. start() does it when not done
   * yet; calling it first keeps thread start-up out of the migration's time,
   * as a QEMU source has its threads before `migrate`.
   */
  prepare(): Promise<void> {
    this.#prepared ??= this.#prepare();
    return this.#prepared;
  }

  async #prepare(): Promise<void> {
    const o = this.#o;
    try {
      const modules = (o.codecModules ?? BUILTIN_CODEC_MODULES).map(workerSpecifier);
      const registry: CodecRegistry = await loadCodecs(modules);
      const codec = registry.lookup(o.method);
      resolveLevel(codec, o.level);
      this.#profile.methodFlags(codec.value); // refuse a value the profile cannot carry, before connecting
      const timeoutMs = o.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
      this.#pool = new SendChannelPool(
        {
          address: this.#address,
          ...(o.output ? { local: o.output } : {}),
          ...(o.tls ? { tls: o.tls } : {}),
          connectTimeoutMs: timeoutMs,
          codecModules: modules,
          method: codec.value,
          ...(o.level !== undefined ? { level: o.level } : {}),
          ...(o.codecOptions ? { codecOptions: o.codecOptions } : {}),
          uuid: o.uuid ?? NIL_UUID,
          profile: this.#profile.name,
          blocks: this.blocks,
        },
        o.channels,
        {
          window: o.window ?? DEFAULTS.window,
          readyTimeoutMs: timeoutMs + 5_000,
          onFailure: (e) => void this.abort(e),
          onStats: () => this.#progress.tick(),
        },
      );
      await this.#pool.ready();
    } catch (e) {
      throw await this.#failed(e);
    }
  }

  /** Connect the main stream, then the channels (a QEMU destination takes the first connection as main), and send the START section. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new MultifdError('ERR_MULTIFD_STATE', 'start() twice');
    await this.prepare();
    this.#state = 'started';
    this.#startedAt = Date.now();
    const o = this.#o;
    try {
      const timeoutMs = o.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
      this.#main = await openOutput(
        o.output ? { local: o.output, file: MAIN_STREAM_FILE } : { address: this.#address, timeoutMs, label: 'main stream', ...(o.tls ? { tls: o.tls } : {}) },
      );
      if (this.#main.socket) this.#watchMain(this.#main.socket);
      await this.#pool!.connect();
      await this.#run(this.#planner.start());
    } catch (e) {
      throw await this.#failed(e);
    }
  }

  /** One iteration over `pages` (default: every page of every block): a PART section and a sync. */
  async pass(pages: PageSelection = 'all'): Promise<void> {
    this.#check();
    try {
      await this.#run(this.#planner.pass(pages, false));
    } catch (e) {
      throw await this.#failed(e);
    }
  }

  /**
   * The last iteration (END section) over `pages` (default: none), then EOF.
   * Resolves once every channel has flushed and closed and the receiver has
   * closed the main connection (it does so after the last page is in place).
   */
  async complete(pages: PageSelection = []): Promise<TransferProgress> {
    this.#check();
    try {
      await this.#run(this.#planner.pass(pages, true));
      await this.#pool!.close();
      await this.#main!.end();
      if (this.#main!.socket) await this.#waitPeerClose();
      this.#state = 'done';
      this.#progress.flush();
      return this.progress();
    } catch (e) {
      throw await this.#failed(e);
    }
  }

  /** Cancel: stop every worker and drop every connection. */
  async abort(reason?: unknown): Promise<void> {
    if (this.#state === 'failed' || this.#state === 'done') return;
    this.#state = 'failed';
    this.#failure ??= MultifdError.is(reason) ? reason : MultifdError.wrap(reason ?? 'aborted', 'ERR_MULTIFD_CANCELLED');
    this.#main?.destroy();
    await this.#pool?.terminate(this.#failure);
  }

  #check(): void {
    if (this.#failure) throw this.#failure;
    if (this.#state !== 'started') throw new MultifdError('ERR_MULTIFD_STATE', `sender is ${this.#state}`);
  }

  async #failed(e: unknown): Promise<MultifdError> {
    await this.abort(e);
    return this.#failure!;
  }

  #watchMain(socket: Socket): void {
    this.#mainPeerClosed = new Promise((resolve) => {
      socket.on('end', () => resolve());
      socket.on('close', () => resolve());
    });
    // No return path in QEMU's protocol; our receiver sends just the completion acknowledgement.
    socket.on('data', (chunk: Buffer) => {
      if (this.#fromPeer.length < COMPLETION_ACK.length) this.#fromPeer = Buffer.concat([this.#fromPeer, chunk]);
    });
    socket.on('error', (err) => void this.abort(socketError(err, { stream: 'main stream' })));
    socket.on('close', () => {
      if (this.#state === 'started' && !this.#failure && !socket.writableFinished) {
        void this.abort(new MultifdError('ERR_MULTIFD_CONNECTION', 'the receiver closed the main connection', { stream: 'main stream' }));
      }
    });
  }

  async #waitPeerClose(): Promise<void> {
    const ms = this.#o.closeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs;
    await withTimeout(this.#mainPeerClosed!, ms, () => new MultifdError('ERR_MULTIFD_TIMEOUT', `the receiver did not confirm the end of the migration within ${ms} ms`, { stream: 'main stream' }));
    if ((this.#o.confirm ?? 'ack') === 'ack' && !isCompletionAck(this.#fromPeer)) {
      throw new MultifdError('ERR_MULTIFD_INCOMPLETE', 'the receiver closed the connection without confirming that the migration is complete', { stream: 'main stream' });
    }
  }

  async #run(steps: Iterable<PlanStep<SenderBlock>>): Promise<void> {
    const pool = this.#pool!;
    // Zero pages come back from the workers' scans; their records are
    // written to the main stream in the order the scans finish, one write at
    // a time.
    let mainWrites: Promise<void> = Promise.resolve();
    const writeMain = (bytes: Uint8Array) => {
      mainWrites = mainWrites.then(async () => {
        await this.#main!.write([bytes]);
        this.#mainBytes += bytes.length;
      });
      return mainWrites;
    };
    const scans: Promise<void>[] = [];
    for (const step of steps) {
      if (this.#failure) throw this.#failure;
      switch (step.kind) {
        case 'main':
          await mainWrites;
          await writeMain(step.bytes);
          break;
        case 'scan': {
          const { done } = await pool.scan(this.#blockIndex.get(step.block.name)!, step.pages, step.zeroInPackets);
          const block = step.block;
          const handled = done.then((r) => {
            const scan = r.scan!;
            this.#planner.sent(scan.normalPages, scan.packets, scan.zeroPagesInPackets);
            const bytes = this.#planner.zeroPages(block, scan.zeros);
            if (bytes) void writeMain(bytes).catch(() => undefined);
          });
          handled.catch(() => undefined); // failures surface through the pool
          scans.push(handled);
          break;
        }
        case 'drain':
          await Promise.all(scans.splice(0));
          await mainWrites;
          break;
        case 'sync':
          await pool.sync();
          this.#epochs++;
          break;
      }
      this.#progress.tick();
    }
  }
}

/**
 * Send `blocks` in `passes` (default: one pass of every page, as the END
 * section); resolves with the final progress.
 */
export async function sendMigration(options: SenderOptions & { passes?: PageSelection[] }): Promise<TransferProgress> {
  const sender = new MigrationSender(options);
  await sender.start();
  const passes: PageSelection[] = options.passes && options.passes.length > 0 ? options.passes : ['all'];
  for (let i = 0; i < passes.length - 1; i++) await sender.pass(passes[i]);
  return sender.complete(passes[passes.length - 1]);
}
