/**
 * The accepting side of a migration: listens, takes one main connection and
 * N channel connections (told apart by their first four bytes, not their
 * order), and hands each to a LateSource that an assembler already reads.
 * It enforces the handshake timeout (everyone connected and talking soon
 * after the first), refuses surplus connections, and on failure drops every
 * connection at once so the peer stops too.
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { MultifdError, detectStreamKind, type BufferPool } from '@multifd/core';
import { certProblem, checkTlsOptions, formatAddress, formatSubject, parseAddress, subjectAllowed, tlsReason, tlsServerOptions, type Address, type TlsOptions } from '../net.js';
import { DEFAULTS } from '../options.js';
import { COMPLETION_ACK } from '../ack.js';
import { LateSource } from './late-source.js';
import { SocketBytes, readBufferPool } from './socket-bytes.js';

export interface IncomingOptions {
  listen: Address | string;
  channels: number;
  tls?: TlsOptions;
  handshakeTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Called once with the first failure. */
  onFailure: (error: MultifdError) => void;
  /** Read buffers to use (a caller running many migrations shares one pool); default: a pool of this migration's own. */
  readBuffers?: BufferPool;
}

export interface IncomingEvents {
  connection: [{ kind: 'main' | 'channel'; peer: string }];
}

export class IncomingMigration extends EventEmitter<IncomingEvents> {
  readonly main = new LateSource('main stream');
  readonly channels: LateSource[];
  /** Every accepted connection, in accept order. */
  readonly streams: SocketBytes[] = [];
  #mainStream: SocketBytes | undefined;
  readonly #channelStreams: SocketBytes[] = [];
  readonly #o: IncomingOptions;
  readonly #listen: Address;
  #server: net.Server | undefined;
  #failed = false;
  /** TLS: raw connections not closed yet (some still in their handshake). */
  readonly #handshaking = new Set<net.Socket>();
  #arrival: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #lastProgress = 0;
  /** Read buffers shared by every connection, made ready before listening (TLS connections do not use them). */
  #readBuffers: BufferPool | undefined;
  /** When the first connection arrived (0 before). */
  firstConnectionAt = 0;

  constructor(options: IncomingOptions) {
    super();
    this.#o = options;
    this.#listen = typeof options.listen === 'string' ? parseAddress(options.listen) : options.listen;
    if (options.tls) checkTlsOptions(options.tls, 'server');
    this.channels = Array.from({ length: options.channels }, (_, i) => new LateSource(`channel connection ${i + 1}`));
  }

  get address(): Address {
    const a = this.#server?.address();
    return a && typeof a === 'object' ? { host: a.address, port: a.port } : this.#listen;
  }

  /** Bytes received on every connection. */
  get bytes(): number {
    return this.streams.reduce((n, s) => n + s.bytes, 0);
  }

  get mainBytes(): number {
    return this.#mainStream?.bytes ?? 0;
  }

  /** Bytes per channel, in the order the channels connected. */
  get channelBytes(): number[] {
    return this.#channelStreams.map((s) => s.bytes);
  }

  async listen(): Promise<Address> {
    if (!this.#o.tls) this.#readBuffers ??= this.#o.readBuffers ?? readBufferPool(this.#o.channels + 1);
    const server = this.#o.tls ? this.#tlsServer(this.#o.tls) : net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (s) => this.#accept(s));
    this.#server = server;
    server.on('error', (e) => this.fail(MultifdError.wrap(e, 'ERR_MULTIFD_CONNECTION', { stream: `listener ${formatAddress(this.#listen)}` })));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#listen.port, this.#listen.host, () => resolve());
    }).catch((e: unknown) => {
      throw MultifdError.wrap(e, 'ERR_MULTIFD_CONNECTION', { stream: `listen on ${formatAddress(this.#listen)}` });
    });
    return this.address;
  }

  /** The consumer made progress (decoded a packet): the transfer is not idle even when no byte arrives. */
  touch(): void {
    this.#lastProgress = Date.now();
  }

  /**
   * The idle timeout covers the transfer, not each connection: a main stream
   * is silent while the channels carry a pass, and a channel while it waits
   * at a sync point. It fires when nothing arrived on any connection and
   * nothing was decoded for the whole timeout, and names the connection that
   * has been silent longest.
   */
  #watchIdle(): void {
    const ms = this.#o.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs;
    if (ms <= 0) return;
    this.#lastProgress = Date.now();
    this.#idleTimer = setInterval(() => {
      const live = this.streams.filter((s) => !s.ended);
      if (live.length === 0) return;
      const last = Math.max(this.#lastProgress, ...live.map((s) => s.lastActivity));
      if (Date.now() - last < ms) return;
      const now = Date.now();
      const quietest = live.reduce((a, b) => (b.lastActivity < a.lastActivity ? b : a));
      const silences = live.map((s) => `${s === this.#mainStream ? 'main' : s.label} ${now - s.lastActivity} ms`).join(', ');
      this.fail(new MultifdError('ERR_MULTIFD_TIMEOUT', `the transfer stalled: nothing received for ${ms} ms (silent: ${silences})`, { stream: quietest.label }));
    }, Math.max(10, Math.min(1000, ms / 4)));
    this.#idleTimer.unref();
  }

  /** Drop everything (first failure wins). */
  fail(error: MultifdError): void {
    if (this.#failed) return;
    this.#failed = true;
    this.main.fail(error);
    for (const c of this.channels) c.fail(error);
    this.close();
    this.#o.onFailure(error);
  }

  /** Tell the sender the migration is complete (see ack.ts), then close everything. */
  acknowledge(): void {
    if (!this.#failed && this.#mainStream && !this.#mainStream.socket.destroyed) this.#mainStream.socket.write(COMPLETION_ACK);
    this.close();
  }

  /**
   * Close the listener and every connection. After a failure connections are
   * destroyed at once; after success they are ended, so that what we wrote
   * (the acknowledgement) is flushed first, and destroyed a moment later.
   */
  close(): void {
    clearTimeout(this.#arrival);
    clearInterval(this.#idleTimer);
    this.#server?.close();
    if (this.#failed) {
      for (const s of this.streams) s.destroy();
      for (const raw of this.#handshaking) raw.destroy();
      return;
    }
    for (const s of this.streams) s.socket.end();
    setTimeout(() => {
      for (const s of this.streams) s.destroy();
      for (const raw of this.#handshaking) raw.destroy();
    }, 2000).unref();
  }

  /**
   * A TLS listener (QEMU's tls-creds on the destination): each connection does
   * its own handshake before it is classified. A peer refused at the
   * handshake (no client certificate, one not signed by our CA, or a broken
   * handshake) or whose subject is not in `allowedClients` ends the migration
   * with ERR_MULTIFD_TLS, as any unexpected connection does.
   */
  #tlsServer(t: TlsOptions): net.Server {
    const server = tls.createServer(
      {
        ...tlsServerOptions(t),
        handshakeTimeout: this.#o.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs,
        allowHalfOpen: true,
      },
      (s) => {
        if (t.allowedClients) {
          const subject = s.getPeerCertificate()?.subject;
          if (!subjectAllowed(subject, t.allowedClients)) {
            const peer = `${s.remoteAddress}:${s.remotePort}`;
            s.destroy();
            this.fail(new MultifdError('ERR_MULTIFD_TLS', `client certificate ${formatSubject(subject)} is not allowed (tls-authz)`, { stream: peer }));
            return;
          }
        }
        s.pause();
        this.#accept(s);
      },
    );
    // Every raw connection, so that one still in its handshake is dropped with the rest.
    server.on('connection', (raw: net.Socket) => {
      this.#handshaking.add(raw);
      raw.once('close', () => this.#handshaking.delete(raw));
      if (this.#failed) raw.destroy();
    });
    server.on('tlsClientError', (e: Error, s: tls.TLSSocket) => {
      const peer = s.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : 'a client';
      s.destroy();
      // node:tls checks a client certificate after the handshake and drops the connection; authorizationError says why.
      const reason = s.authorizationError ? `client certificate refused: ${certProblem(String(s.authorizationError))}` : tlsReason(e);
      this.fail(new MultifdError('ERR_MULTIFD_TLS', `TLS handshake failed: ${reason}`, { stream: peer }, { cause: e }));
    });
    return server;
  }

  #accept(socket: net.Socket): void {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.#failed || this.streams.length >= this.#o.channels + 1) {
      socket.destroy();
      this.fail(new MultifdError('ERR_MULTIFD_CHANNEL_ID', `connection from ${peer}: more than 1 main stream and ${this.#o.channels} channels`));
      return;
    }
    const stream = new SocketBytes(socket, { label: peer, highWater: 4 << 20, ...(this.#readBuffers ? { pool: this.#readBuffers } : {}) });
    this.streams.push(stream);
    const ms = this.#o.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs;
    if (this.streams.length === 1) {
      this.firstConnectionAt = Date.now();
      this.#watchIdle();
      this.#arrival = setTimeout(() => {
        const missing = this.channels.filter((c) => !c.attached).length + (this.main.attached ? 0 : 1);
        if (missing > 0) this.fail(new MultifdError('ERR_MULTIFD_TIMEOUT', `${missing} of ${this.#o.channels + 1} connections missing ${ms} ms after the first one`));
      }, ms);
    }
    const timer = setTimeout(() => stream.fail(new MultifdError('ERR_MULTIFD_TIMEOUT', `nothing received for ${ms} ms after connecting`, { stream: peer })), ms);
    stream
      .firstChunk()
      .then((first) => {
        clearTimeout(timer);
        const kind = detectStreamKind(first, peer);
        this.emit('connection', { kind, peer });
        if (kind === 'main') {
          if (this.main.attached) throw new MultifdError('ERR_MULTIFD_STREAM_KIND', 'a second main stream', { stream: peer });
          this.#mainStream = stream;
          this.main.attach(stream);
        } else {
          const slot = this.channels.find((c) => !c.attached);
          if (!slot) throw new MultifdError('ERR_MULTIFD_CHANNEL_ID', `more than ${this.#o.channels} channels`, { stream: peer });
          this.#channelStreams.push(stream);
          slot.attach(stream);
        }
      })
      .catch((e: unknown) => {
        clearTimeout(timer);
        // node:tls clients check the server certificate after the handshake: one that hangs up before its first byte refused ours.
        if (socket instanceof tls.TLSSocket && stream.bytes === 0 && MultifdError.is(e, 'ERR_MULTIFD_CONNECTION')) {
          e = new MultifdError('ERR_MULTIFD_TLS', 'the client closed the connection right after the TLS handshake, before sending anything (did it refuse our certificate?)', { stream: peer }, { cause: e });
        }
        this.fail(MultifdError.is(e) ? e : MultifdError.wrap(e, 'ERR_MULTIFD_CONNECTION', { stream: peer }));
      });
  }
}
