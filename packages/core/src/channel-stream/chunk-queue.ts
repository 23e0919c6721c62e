/**
 * A FIFO of received chunks that hands out exact byte counts: a view when
 * the bytes lie in one chunk (the common case: no copy), one copy otherwise.
 */
export class ChunkQueue {
  #chunks: Uint8Array[] = [];
  /** Read position inside #chunks[0]. */
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Remove and return exactly `n` bytes; the caller checked `length >= n`. */
  take(n: number): Uint8Array {
    if (n > this.#length) throw new RangeError(`take(${n}) with ${this.#length} bytes queued`);
    const first = this.#chunks[0];
    if (n === 0 || first === undefined) return new Uint8Array(0);
    if (first.length - this.#head >= n) {
      const out = first.subarray(this.#head, this.#head + n);
      this.#skip(n);
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0]!;
      const part = Math.min(chunk.length - this.#head, n - filled);
      out.set(chunk.subarray(this.#head, this.#head + part), filled);
      filled += part;
      this.#skip(part);
    }
    return out;
  }

  /** Everything queued, as one array (copied only when there are several chunks). */
  takeAll(): Uint8Array {
    return this.take(this.#length);
  }

  #skip(n: number): void {
    this.#head += n;
    this.#length -= n;
    while (this.#chunks.length > 0 && this.#head >= this.#chunks[0]!.length) {
      this.#head -= this.#chunks[0]!.length;
      this.#chunks.shift();
    }
  }
}
