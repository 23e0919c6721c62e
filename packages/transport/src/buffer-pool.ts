/**
 * Reused byte buffers of one size. Fresh ArrayBuffers cost page faults and
 * garbage collection on every read and every packet; the receiving path
 * recycles its read buffers and payload buffers through pools instead, so a
 * long migration allocates about as much as its first few packets.
 */
import { touchPages } from '@multifd/core';

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

  /** A buffer of `size` bytes (contents undefined). */
  get(): ArrayBuffer {
    return this.#free.pop() ?? new ArrayBuffer(this.size);
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
    return bytes.byteOffset === 0 && bytes.buffer instanceof ArrayBuffer && bytes.buffer.byteLength === this.size;
  }

  /** Give a buffer back (ignored when it is of another size or detached). */
  put(buffer: ArrayBufferLike): void {
    if (buffer instanceof ArrayBuffer && buffer.byteLength === this.size && this.#free.length < this.keep) this.#free.push(buffer);
  }
}
