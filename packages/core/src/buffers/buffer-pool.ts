/**
 * Reused byte buffers of one size. Fresh ArrayBuffers cost page faults and
 * garbage collection on every read and every packet; readers recycle their
 * read buffers and payload buffers through pools instead, so a long
 * migration allocates about as much as its first few packets.
 *
 * Two ways out of a pool, each with an owner the code names:
 * - lend(): the buffer comes back by itself when its lease and every hold
 *   taken on its bytes are released (see lease.ts): for read buffers, whose
 *   chunks are viewed by several consumers.
 * - get() / put(): one owner at a time, handed on by transferring the buffer
 *   to a worker (which detaches every view of it here) and given back with
 *   put(): for payload buffers.
 */
import { MultifdError } from '../errors.js';
import { touchPages } from '../ram/touch.js';
import { POISON, isLent, lendBuffer, poisoned, type Lease } from './lease.js';

export interface LentBuffer {
  buffer: ArrayBuffer;
  /** The lender's hold: release it when done (the buffer returns once nothing else holds it). */
  lease: Lease;
}

export class BufferPool {
  readonly #free: ArrayBuffer[] = [];

  constructor(
    /** Bytes per buffer. */
    readonly size: number,
    /** Buffers kept when returned (more are dropped to the garbage collector). */
    readonly keep = 64,
  ) {}

  /** Buffers ready to be handed out. */
  get available(): number {
    return this.#free.length;
  }

  /** A buffer of `size` bytes (contents undefined), owned by the caller until put() back. */
  get(): ArrayBuffer {
    return this.#free.pop() ?? new ArrayBuffer(this.size);
  }

  /** A buffer lent out: it returns to the pool when its lease and every hold on it are released. */
  lend(): LentBuffer {
    const buffer = this.get();
    return { buffer, lease: lendBuffer(buffer, (b) => this.#keep(b)) };
  }

  /** Allocate buffers until `count` are free, and touch every page of them (core's touchPages). */
  warm(count: number): this {
    while (this.#free.length < Math.min(count, this.keep)) {
      const buffer = new ArrayBuffer(this.size);
      touchPages(new Uint8Array(buffer));
      this.#free.push(buffer);
    }
    return this;
  }

  /** `n` bytes at the start of a pooled buffer (a fresh one when n is larger than the pool's size). */
  view(n: number): Uint8Array {
    return n <= this.size ? new Uint8Array(this.get(), 0, n) : new Uint8Array(n);
  }

  /** True when `bytes` starts a buffer of this pool's size (it can be transferred whole and come back). */
  holds(bytes: Uint8Array): boolean {
    return bytes.byteOffset === 0 && bytes.buffer instanceof ArrayBuffer && bytes.buffer.byteLength === this.size && !isLent(bytes);
  }

  /**
   * Give back a buffer taken with get() (ignored when it is of another size
   * or detached). A lent buffer comes back through its lease, never here.
   */
  put(buffer: ArrayBufferLike): void {
    if (!(buffer instanceof ArrayBuffer) || buffer.byteLength !== this.size) return;
    if (isLent(new Uint8Array(buffer, 0, 0))) throw new MultifdError('ERR_MULTIFD_STATE', 'a lent buffer was put back while held: release its lease instead');
    this.#keep(POISON ? poisoned(buffer) : buffer);
  }

  #keep(buffer: ArrayBuffer): void {
    if (this.#free.length < this.keep) this.#free.push(buffer);
  }
}
