/**
 * A socket's bytes as an AsyncIterable with backpressure: reading pauses
 * when more than `highWater` bytes wait for the consumer and resumes below
 * half of it, so a slow channel worker slows its peer instead of growing our
 * memory. It records when bytes last arrived; the transfer-wide idle
 * timeout (IncomingMigration) reads that.
 *
 * Where the socket allows it (plain TCP), reads go straight into 1 MiB
 * buffers from a pool (net.Socket's `onread`): on this kind of VM, 1 MiB
 * reads move about twice the bytes per second of Node's default 64 KiB
 * reads, and recycled buffers cost no allocation per read.
 */
import * as net from 'node:net';
import { MultifdError } from '@multifd/core';
import { BufferPool } from '../buffer-pool.js';

export interface SocketBytesOptions {
  label: string;
  /** Most bytes buffered before reading pauses. */
  highWater: number;
  /** Read buffers for the onread path (1 MiB each); connections may share one pool. */
  pool?: BufferPool;
}

const READ_BUFFER = 1 << 20;

/**
 * The read buffers of `connections` connections: 8 per connection (what a
 * busy connection has in flight below its high-water mark, and then some)
 * allocated and touched up front, at most 32 MiB whatever the channel count.
 */
export function readBufferPool(connections: number): BufferPool {
  return new BufferPool(READ_BUFFER, 16 * connections).warm(Math.min(8 * connections, 32));
}

export class SocketBytes implements AsyncIterable<Uint8Array> {
  readonly label: string;
  readonly socket: net.Socket;
  #chunks: Uint8Array[] = [];
  #head = 0;
  #buffered = 0;
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;
  #paused = false;
  /** When bytes last arrived (Date.now()). */
  lastActivity = Date.now();
  #total = 0;
  readonly #o: SocketBytesOptions;
  #first: ((chunk: Uint8Array) => void) | undefined;
  readonly #pool: BufferPool;
  /** Read buffers of chunks handed to the consumer, oldest first (see the iterator). */
  #lent: ArrayBufferLike[] = [];

  /** Wraps `socket`; it must not have started reading (create the server with pauseOnConnect). */
  constructor(socket: net.Socket, options: SocketBytesOptions) {
    this.label = options.label;
    this.#o = options;
    this.#pool = options.pool ?? new BufferPool(READ_BUFFER, 16);
    this.socket = fastReader(socket, this.#pool, (chunk) => this.#push(chunk)) ?? socket;
    if (this.socket === socket) socket.on('data', (chunk: Buffer) => this.#push(chunk));
    this.socket.on('end', () => {
      this.#ended = true;
      this.#notify();
    });
    this.socket.on('error', (err) => this.fail(MultifdError.wrap(err, 'ERR_MULTIFD_CONNECTION', { stream: this.label })));
    this.socket.on('close', () => {
      if (!this.#ended) this.fail(new MultifdError('ERR_MULTIFD_CONNECTION', 'connection closed without an end', { stream: this.label }));
    });
    this.socket.resume();
  }

  /** The peer ended its side (or the connection failed). */
  get ended(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  /** Bytes received so far. */
  get bytes(): number {
    return this.#total;
  }

  /** Resolves with the first chunk (to tell a main stream from a channel). */
  firstChunk(): Promise<Uint8Array> {
    if (this.#chunks.length > 0) return Promise.resolve(this.#chunks[0]!);
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#first = resolve;
      const prev = this.#wake;
      this.#wake = () => {
        prev?.();
        if (this.#error) reject(this.#error);
        else if (this.#ended && this.#chunks.length === 0) reject(new MultifdError('ERR_MULTIFD_CONNECTION', 'connection closed before sending anything', { stream: this.label }));
      };
    });
  }

  /** Stop with an error: the consumer's next read throws it. */
  fail(error: unknown): void {
    if (this.#error || (this.#ended && this.#chunks.length === 0)) {
      this.#error ??= error;
      return;
    }
    this.#error = error;
    this.socket.destroy();
    this.#notify();
  }

  /** Destroy the connection (the transfer is over or failed). */
  destroy(): void {
    this.socket.destroy();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.#head < this.#chunks.length) {
        const chunk = this.#chunks[this.#head]!;
        this.#chunks[this.#head++] = undefined as unknown as Uint8Array;
        if (this.#head > 1024) {
          this.#chunks = this.#chunks.slice(this.#head);
          this.#head = 0;
        }
        this.#buffered -= chunk.length;
        if (this.#paused && this.#buffered <= this.#o.highWater / 2) {
          this.#paused = false;
          this.socket.resume();
        }
        // The consumer is done with a chunk's bytes once it has asked for the
        // chunk after the next one: frames views end with the chunk's frames,
        // and a framer copies what is left of a chunk when the next arrives.
        this.#lent.push(chunk.buffer);
        if (this.#lent.length > 2) this.#pool.put(this.#lent.shift()!);
        yield chunk;
        continue;
      }
      if (this.#error) throw this.#error;
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #push(chunk: Uint8Array): void {
    if (this.#error) return;
    this.lastActivity = Date.now();
    this.#total += chunk.length;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (this.#first) {
      const first = this.#first;
      this.#first = undefined;
      first(this.#chunks[this.#head]!);
    }
    if (!this.#paused && this.#buffered > this.#o.highWater) {
      this.#paused = true;
      this.socket.pause();
    }
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/**
 * Re-wrap a freshly accepted, paused TCP socket's handle in a Socket that
 * reads straight into buffers of `pool` (Node supports `onread` only on
 * sockets it creates itself; a buffer function is asked for a new buffer
 * before every read). Returns undefined when the socket cannot take it (TLS,
 * already reading), and the caller keeps the ordinary 'data' path.
 */
export function fastReader(socket: net.Socket, pool: BufferPool, onChunk: (chunk: Uint8Array) => void): net.Socket | undefined {
  const old = socket as net.Socket & { _handle?: unknown };
  if (socket.constructor !== net.Socket || !old._handle || socket.readableFlowing) return undefined;
  const handle = old._handle;
  old._handle = null;
  try {
    const fresh = new net.Socket({
      handle,
      readable: true,
      writable: true,
      // Our side stays open after the peer's end: the acknowledgement goes out then.
      allowHalfOpen: true,
      onread: {
        buffer: () => new Uint8Array(pool.get()),
        // The read landed in a buffer of ours: hand on a view, no copy.
        callback: (n: number, buf: Uint8Array) => void onChunk(new Uint8Array(buf.buffer, buf.byteOffset, n)),
      },
    } as net.SocketConstructorOpts & { handle: unknown });
    // The old object no longer owns the handle; destroying it only settles the server's connection count.
    old.destroy();
    return fresh;
  } catch {
    old._handle = handle;
    return undefined;
  }
}
