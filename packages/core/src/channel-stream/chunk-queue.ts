/**
 * A FIFO of received bytes that hands out exact byte counts: a view when the
 * bytes lie in the chunk pushed last (the common case: no copy), one copy
 * otherwise.
 *
 * The queue refers to a pushed chunk only until the next push() or
 * release(), both synchronous: then it copies the bytes not taken yet into a
 * buffer of its own (reused, so it costs no allocation per chunk). It keeps
 * no view of a chunk after that, so a reader's hold on the chunk (see
 * buffers/lease.ts) covers everything the queue does with it. Views handed
 * out by take() point into the chunk (or into the spill buffer, below): a
 * caller that keeps one holds it with holdBytes().
 */
import { lendBuffer, type Lease } from '../buffers/lease.js';

const EMPTY = new Uint8Array(0);

export interface ChunkQueueOptions {
  /**
   * Copy carried bytes into a reused *spill* buffer instead of fresh memory
   * (fresh memory costs a page fault per 4 KiB on some VMs). The spill is
   * lent: a caller that keeps a take() holds it (holdBytes), and it is
   * reused only once nothing holds it; until then a new one is made.
   */
  reuse?: boolean;
}

export class ChunkQueue {
  readonly #reuse: boolean;
  /** The queue's own hold on the spill buffer last handed out (kept until the next spill, so a caller can take its hold). */
  #spillHold: Lease | undefined;
  /** A spill buffer nobody holds any more, ready for reuse. */
  #freeSpill: ArrayBuffer | undefined;
  #spillSize = 0;
  /** Bytes kept from earlier chunks: #carry[#carryHead, #carryEnd). */
  #carry: Uint8Array = EMPTY;
  #carryHead = 0;
  #carryEnd = 0;
  /** The chunk pushed last, read from #pos. */
  #chunk: Uint8Array = EMPTY;
  #pos = 0;

  constructor(options: ChunkQueueOptions = {}) {
    this.#reuse = options.reuse ?? false;
  }

  get length(): number {
    return this.#carryEnd - this.#carryHead + (this.#chunk.length - this.#pos);
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.release();
    this.#chunk = chunk;
    this.#pos = 0;
  }

  /** Copy what is left of the last chunk into the queue's own buffer and let go of the chunk. */
  release(): void {
    const rest = this.#chunk.length - this.#pos;
    if (rest > 0) this.#keep(this.#chunk.subarray(this.#pos));
    this.#chunk = EMPTY;
    this.#pos = 0;
  }

  /**
   * Remove and return exactly `n` bytes; the caller checked `length >= n`.
   * `allocate` supplies the memory when the bytes must be copied (they span
   * chunks), e.g. from a pool of buffers a consumer recycles.
   */
  take(n: number, allocate?: (n: number) => Uint8Array): Uint8Array {
    if (n > this.length) throw new RangeError(`take(${n}) with ${this.length} bytes queued`);
    if (n === 0) return new Uint8Array(0);
    const carried = this.#carryEnd - this.#carryHead;
    if (carried === 0) {
      const out = this.#chunk.subarray(this.#pos, this.#pos + n);
      this.#pos += n;
      return out;
    }
    // Carried bytes are always copied out: the carry buffer is reused.
    const out = allocate ? allocate(n) : this.#reuse ? this.#spillOf(n) : new Uint8Array(n);
    const fromCarry = Math.min(carried, n);
    out.set(this.#carry.subarray(this.#carryHead, this.#carryHead + fromCarry));
    this.#carryHead += fromCarry;
    if (this.#carryHead === this.#carryEnd) this.#carryHead = this.#carryEnd = 0;
    const rest = n - fromCarry;
    if (rest > 0) {
      out.set(this.#chunk.subarray(this.#pos, this.#pos + rest), fromCarry);
      this.#pos += rest;
    }
    return out;
  }

  /** Everything queued, as one array (a view when it all lies in the last chunk). */
  takeAll(): Uint8Array {
    return this.take(this.length);
  }

  #spillOf(n: number): Uint8Array {
    // Our hold on the last spill goes; the spill comes back to #freeSpill once its takers released theirs too.
    this.#spillHold?.release();
    this.#spillHold = undefined;
    let buffer = this.#freeSpill;
    this.#freeSpill = undefined;
    // byteLength is 0 once a consumer transferred the buffer: then start a new one.
    if (n > this.#spillSize) this.#spillSize = Math.max(n, 2 * this.#spillSize);
    if (!buffer || buffer.byteLength < n) buffer = new ArrayBuffer(this.#spillSize);
    this.#spillHold = lendBuffer(buffer, (b) => {
      if (b.byteLength >= (this.#freeSpill?.byteLength ?? 0)) this.#freeSpill = b;
    });
    return new Uint8Array(buffer, 0, n);
  }

  /** Append `bytes` to the carry, compacting or growing it as needed. */
  #keep(bytes: Uint8Array): void {
    const used = this.#carryEnd - this.#carryHead;
    if (this.#carryEnd + bytes.length > this.#carry.length) {
      if (used + bytes.length <= this.#carry.length) {
        this.#carry.copyWithin(0, this.#carryHead, this.#carryEnd);
      } else {
        const grown = new Uint8Array(Math.max(used + bytes.length, 2 * this.#carry.length));
        grown.set(this.#carry.subarray(this.#carryHead, this.#carryEnd));
        this.#carry = grown;
      }
      this.#carryHead = 0;
      this.#carryEnd = used;
    }
    this.#carry.set(bytes, this.#carryEnd);
    this.#carryEnd += bytes.length;
  }
}
