/**
 * A migration proxy: accepts a source's migration (IncomingMigration), and
 * relays it to a destination while re-encoding the channels
 * (MigrationRelay). A failure on either side drops every connection on both.
 * The destination is connected when the source connects, not at listen().
 */
import { EventEmitter } from 'node:events';
import { MultifdError } from '@multifd/core';
import type { Address, TlsOptions } from '../net.js';
import type { TransferProgress } from '../progress.js';
import { IncomingMigration } from '../receiver/incoming.js';
import { MigrationRelay, type RelayOptions, type RelayReport } from './relay.js';

export interface ProxyOptions extends RelayOptions {
  /** Where the source connects. */
  listen: Address | string;
  /** Incoming channels (the source's multifd-channels). */
  inChannels: number;
  /** TLS for the incoming side (as a destination with tls-creds). */
  inTls?: TlsOptions;
  handshakeTimeoutMs?: number;
  idleTimeoutMs?: number;
}

export interface ProxyEvents {
  progress: [TransferProgress];
}

export class MigrationProxy extends EventEmitter<ProxyEvents> {
  readonly #relay: MigrationRelay;
  readonly #incoming: IncomingMigration;

  constructor(options: ProxyOptions) {
    super();
    const { listen, inChannels, inTls, handshakeTimeoutMs, idleTimeoutMs, ...relay } = options;
    this.#relay = new MigrationRelay(relay);
    this.#incoming = new IncomingMigration({
      listen,
      channels: inChannels,
      ...(inTls ? { tls: inTls } : {}),
      ...(handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs } : {}),
      ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}),
      onFailure: (e) => this.#relay.abort(e),
    });
    this.#relay.on('progress', (p) => {
      this.#incoming.touch(); // pages going out: the transfer is not idle
      this.emit('progress', p);
    });
  }

  /** Listen for the source; resolves with the bound address. */
  listen(): Promise<Address> {
    return this.#incoming.listen();
  }

  /**
   * Relay the migration to the end: resolves once the destination closed
   * the main connection, after the source was told (by the completion
   * acknowledgement a `multifd send` waits for; QEMU ignores it).
   */
  async run(): Promise<RelayReport> {
    const incoming = this.#incoming;
    try {
      const report = await this.#relay.run({ main: { label: 'main stream', source: incoming.main }, channels: incoming.channels.map((c) => ({ label: c.label, source: c })) });
      incoming.acknowledge();
      return report;
    } catch (e) {
      incoming.fail(MultifdError.is(e) ? e : MultifdError.wrap(e, 'ERR_MULTIFD_CANCELLED'));
      throw e;
    } finally {
      incoming.close();
    }
  }

  /** Stop now: both sides' connections are dropped. */
  abort(reason?: unknown): void {
    const error = MultifdError.is(reason) ? reason : MultifdError.wrap(reason ?? 'aborted', 'ERR_MULTIFD_CANCELLED');
    this.#incoming.fail(error);
    this.#relay.abort(error);
  }
}
