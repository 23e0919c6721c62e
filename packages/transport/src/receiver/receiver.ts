/**
 * Receives a migration from a QEMU source or from MigrationSender: accepts
 * the main connection and N channels (told apart by their first bytes, not
 * their order), checks every initial packet, and rebuilds RAM epoch by epoch
 * with core's assembler. The main thread reads the sockets and frames the
 * packets; each channel's worker thread decodes its packets into the
 * RAMBlocks (shared memory) or their files. `done()` resolves only when the
 * RAM section ended, every sync matched and every page of every block is in
 * place.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  MultifdError,
  NIL_UUID,
  type AssembleReport,
} from '@multifd/core';
import type { Address, TlsOptions } from '../net.js';
import { DEFAULTS, checkChannelCount } from '../options.js';
import { throttle, withRates, type TransferProgress } from '../progress.js';
import { IncomingMigration } from './incoming.js';
import { WorkerDecoder } from './worker-decoder.js';

export interface ReceiverOptions {
  listen: Address | string;
  channels: number;
  /** Expected method (name or value); default: whatever the packets carry. */
  method?: string | number;
  /** Our VM uuid: every channel must carry it (default all zero, like QEMU without -uuid). */
  uuid?: Uint8Array;
  codecModules?: readonly string[];
  /** Codec options for every channel (e.g. { backend: 'node' } for zlib). */
  codecOptions?: Record<string, unknown>;
  /** Write each RAMBlock to DIR/<name>.bin (sparse); default: keep them in shared memory. */
  out?: string;
  /** Keep the main stream's bytes in this file. */
  mainStreamFile?: string;
  tls?: TlsOptions;
  handshakeTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Packets in flight per channel worker. */
  window?: number;
  /** Largest RAM the main stream may announce. */
  maxRamBytes?: number;
  /** Memory mode: reserve and touch this many bytes before the migration, like QEMU's -mem-prealloc. */
  preallocBytes?: number;
  /** Refuse to complete with pages never received (default true). */
  requireAllPages?: boolean;
  progressIntervalMs?: number;
}

export interface ReceiveReport extends AssembleReport {
  /** Where each RAMBlock went (file mode). */
  files?: Record<string, string>;
  elapsedMs: number;
  wireBytes: number;
}

export interface ReceiverEvents {
  progress: [TransferProgress];
  connection: [{ kind: 'main' | 'channel'; peer: string }];
}

export class MigrationReceiver extends EventEmitter<ReceiverEvents> {
  readonly #o: ReceiverOptions;
  readonly #incoming: IncomingMigration;
  #listening = false;
  #decoder: WorkerDecoder | undefined;
  #done: Promise<ReceiveReport> | undefined;
  #failure: MultifdError | undefined;
  readonly #abort = new AbortController();
  #pages = 0;
  #epochs = 0;
  readonly #progress: ReturnType<typeof throttle>;

  constructor(options: ReceiverOptions) {
    super();
    checkChannelCount(options.channels);
    this.#o = options;
    this.#incoming = new IncomingMigration({
      listen: options.listen,
      channels: options.channels,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
      ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
      onFailure: (e) => this.#fail(e),
    });
    this.#incoming.on('connection', (c) => this.emit('connection', c));
    this.#progress = throttle(() => this.emit('progress', this.progress()), options.progressIntervalMs ?? DEFAULTS.progressIntervalMs);
  }

  /** The address we listen on (with the real port when 0 was asked). */
  get address(): Address {
    return this.#incoming.address;
  }

  /**
   * A RAMBlock's memory (memory mode), once the migration is done, as one
   * array; a block over 4 GiB is ERR_MULTIFD_TOO_LARGE there: read it with
   * view().
   */
  block(name: string): Uint8Array | undefined {
    return this.#decoder?.memory?.block(name);
  }

  /** `length` bytes of a RAMBlock (memory mode) from `offset`: any part of a block of any size. */
  view(name: string, offset: number, length: number): Uint8Array | undefined {
    const memory = this.#decoder?.memory;
    return memory?.memory(name) ? memory.view(name, offset, length) : undefined;
  }

  progress(): TransferProgress {
    const inc = this.#incoming;
    return withRates({
      pages: this.#pages,
      wireBytes: inc.bytes,
      mainBytes: inc.mainBytes,
      channels: inc.channelBytes.map((wireBytes, id) => ({ id, packets: 0, pages: 0, wireBytes })),
      epochs: this.#epochs,
      elapsedMs: inc.firstConnectionAt ? Date.now() - inc.firstConnectionAt : 0,
    });
  }

  /** Start the channel workers and listen. Resolves with the bound address. */
  async listen(): Promise<Address> {
    if (this.#listening) throw new MultifdError('ERR_MULTIFD_STATE', 'listen() twice');
    this.#listening = true;
    const o = this.#o;
    this.#decoder = await WorkerDecoder.start({
      channels: o.channels,
      ...(o.method !== undefined ? { method: o.method } : {}),
      ...(o.codecModules ? { codecModules: o.codecModules } : {}),
      ...(o.codecOptions ? { codecOptions: o.codecOptions } : {}),
      ...(o.out ? { out: o.out } : {}),
      ...(o.maxRamBytes ? { maxRamBytes: o.maxRamBytes } : {}),
      ...(o.preallocBytes ? { preallocBytes: o.preallocBytes } : {}),
      ...(o.window ? { window: o.window } : {}),
      onFailure: (e) => this.#fail(e),
    });
    this.#done = this.#run(this.#decoder);
    this.#done.catch(() => undefined);
    return this.#incoming.listen();
  }

  /** Resolves when the migration is complete; rejects with the first error. */
  done(): Promise<ReceiveReport> {
    if (!this.#done) return Promise.reject(new MultifdError('ERR_MULTIFD_STATE', 'done() before listen()'));
    return this.#done;
  }

  /** Give up: every connection is dropped, every worker stopped. */
  async abort(reason?: unknown): Promise<void> {
    this.#fail(MultifdError.is(reason) ? reason : MultifdError.wrap(reason ?? 'aborted', 'ERR_MULTIFD_CANCELLED'));
    await this.#done?.catch(() => undefined);
  }

  #fail(error: MultifdError): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#abort.abort(error);
    this.#incoming.fail(error);
  }

  async #run(decoder: WorkerDecoder): Promise<ReceiveReport> {
    const o = this.#o;
    const files = decoder.files;
    try {
      const report = await decoder.decode(
        {
          main: { label: 'main stream', source: o.mainStreamFile ? tee(this.#incoming.main, o.mainStreamFile) : this.#incoming.main },
          channels: this.#incoming.channels.map((c) => ({ label: c.label, source: c })),
        },
        {
          ...(o.method !== undefined ? { method: o.method } : {}),
          uuid: o.uuid ?? NIL_UUID,
          channelCount: o.channels,
          signal: this.#abort.signal,
          onProgress: (p) => {
            this.#incoming.touch();
            this.#pages = p.pages;
            this.#epochs = p.epochs;
            this.#progress.tick();
          },
        },
      );
      if (this.#failure) throw this.#failure;
      const missing = report.ramblocks.filter((b) => b.missing > 0);
      if ((o.requireAllPages ?? true) && missing.length > 0) {
        throw new MultifdError(
          'ERR_MULTIFD_INCOMPLETE',
          `the migration ended with pages never received: ${missing.map((b) => `${b.name} ${b.missing}`).join(', ')}`,
        );
      }
      await decoder.close();
      this.#incoming.acknowledge();
      this.#progress.flush();
      return {
        ...report,
        ...(files ? { files: Object.fromEntries([...files.files()].map(([n, f]) => [n, path.join(files.dir, f)])) } : {}),
        elapsedMs: Date.now() - this.#incoming.firstConnectionAt,
        wireBytes: this.#incoming.bytes,
      };
    } catch (e) {
      const error = this.#failure ?? (MultifdError.is(e) ? e : MultifdError.wrap(e, 'ERR_MULTIFD_CANCELLED'));
      this.#fail(error);
      await decoder.terminate();
      throw error;
    } finally {
      // Closing tells the sender everything arrived (or that it failed).
      this.#incoming.close();
    }
  }
}

/** Pass a stream's chunks through while appending them to `file`. */
async function* tee(source: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  const fd = fs.openSync(file, 'w');
  try {
    for await (const chunk of source) {
      fs.writeSync(fd, chunk);
      yield chunk;
    }
  } finally {
    fs.closeSync(fd);
  }
}
