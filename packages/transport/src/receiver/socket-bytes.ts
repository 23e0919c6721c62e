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
 * reads, and recycled buffers cost no allocation per read. Those buffers
 * are lent (core's buffers/lease.ts): this reader holds each one from the
 * read into it until the consumer asks for the chunk after it, and a
 * consumer that keeps a view longer holds it itself (the framer's frames
 * do); a buffer is read into again only when nothing holds it.
 */
import * as net from 'node:net';
import { BufferPool, MultifdError, NO_LEASE, type Lease } from '@multifd/core';

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
  /** Chunks received and not yet handed to the consumer, each with the reader's hold on its buffer. */
  #chunks: { bytes: Uint8Array; lease: Lease }[] = [];
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

  /** Wraps `socket`; it must not have started reading (create the server with pauseOnConnect). */
  constructor(socket: net.Socket, options: SocketBytesOptions) {
    this.label = options.label;
    this.#o = options;
    this.#pool = options.pool ?? new BufferPool(READ_BUFFER, 16);
    this.socket = fastReader(socket, this.#pool, (chunk, lease) => this.#push(chunk, lease)) ?? socket;
    // Node's own read buffers are fresh memory that nobody recycles.
    if (this.socket === socket) socket.on('data', (chunk: Buffer) => this.#push(chunk, NO_LEASE));
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
    if (this.#chunks.length > this.#head) return Promise.resolve(this.#chunks[this.#head]!.bytes);
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
    try {
      for (;;) {
        if (this.#head < this.#chunks.length) {
          const chunk = this.#chunks[this.#head]!;
          this.#chunks[this.#head++] = undefined as unknown as { bytes: Uint8Array; lease: Lease };
          if (this.#head > 1024) {
            this.#chunks = this.#chunks.slice(this.#head);
            this.#head = 0;
          }
          this.#buffered -= chunk.bytes.length;
          if (this.#paused && this.#buffered <= this.#o.highWater / 2) {
            this.#paused = false;
            this.socket.resume();
          }
          try {
            yield chunk.bytes;
          } finally {
            // The consumer asked for the next chunk (or stopped): what it still needs of this one, it holds.
            chunk.lease.release();
          }
          continue;
        }
        if (this.#error) throw this.#error;
        if (this.#ended) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      this.#dropQueued();
    }
  }

  /** Release the reader's holds on chunks nobody will read. */
  #dropQueued(): void {
    for (let i = this.#head; i < this.#chunks.length; i++) this.#chunks[i]!.lease.release();
    this.#chunks = [];
    this.#head = 0;
    this.#buffered = 0;
  }

  #push(chunk: Uint8Array, lease: Lease): void {
    if (this.#error) {
      lease.release();
      return;
    }
    this.lastActivity = Date.now();
    this.#total += chunk.length;
    this.#chunks.push({ bytes: chunk, lease });
    this.#buffered += chunk.length;
    if (this.#first) {
      const first = this.#first;
      this.#first = undefined;
      first(this.#chunks[this.#head]!.bytes);
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
 * reads straight into buffers lent by `pool` (Node supports `onread` only on
 * sockets it creates itself; a buffer function is asked for a new buffer
 * before every read). Each chunk comes with the lease of its buffer, which
 * the receiver of the chunk releases when done with it. Returns undefined
 * when the socket cannot take it (TLS, already reading), and the caller
 * keeps the ordinary 'data' path.
 */
export function fastReader(socket: net.Socket, pool: BufferPool, onChunk: (chunk: Uint8Array, lease: Lease) => void): net.Socket | undefined {
  const old = socket as net.Socket & { _handle?: unknown };
  if (socket.constructor !== net.Socket || !old._handle || socket.readableFlowing) return undefined;
  const handle = old._handle;
  old._handle = null;
  // The buffer the next read goes into, held from the moment Node may write into it.
  let filling: Lease = NO_LEASE;
  try {
    const fresh = new net.Socket({
      handle,
      readable: true,
      writable: true,
      // Our side stays open after the peer's end: the acknowledgement goes out then.
      allowHalfOpen: true,
      onread: {
        buffer: () => {
          const lent = pool.lend();
          filling = lent.lease;
          return new Uint8Array(lent.buffer);
        },
        // The read landed in a buffer of ours: hand on a view, no copy, with the buffer's hold.
        callback: (n: number, buf: Uint8Array) => {
          const lease = filling;
          filling = NO_LEASE;
          onChunk(new Uint8Array(buf.buffer, buf.byteOffset, n), lease);
        },
      },
    } as net.SocketConstructorOpts & { handle: unknown });
    // The buffer of a read that never came back goes home once the handle is closed.
    fresh.once('close', () => {
      const lease = filling;
      filling = NO_LEASE;
      lease.release();
    });
    // The old object no longer owns the handle; destroying it only settles the server's connection count.
    old.destroy();
    return fresh;
  } catch {
    old._handle = handle;
    return undefined;
  }
}
