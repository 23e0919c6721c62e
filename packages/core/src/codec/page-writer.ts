/**
 * Bounded output for decompressors: fills a packet's page views in order and
 * refuses a single byte more than they hold. A codec feeds it the chunks its
 * decompressor produces and calls `finish()`; too much or too little output is
 * ERR_MULTIFD_PAYLOAD_SIZE, so a "bomb" stops at the first chunk past the
 * limit and nothing is ever written outside the views.
 */
import { PAGE_SIZE } from '../wire/constants.js';
import { MultifdError } from '../errors.js';

export class PageWriter {
  readonly #pages: readonly Uint8Array[];
  readonly capacity: number;
  #page = 0;
  #inPage = 0;
  #written = 0;

  constructor(pages: readonly Uint8Array[], readonly label = 'payload') {
    this.#pages = pages;
    this.capacity = pages.length * PAGE_SIZE;
  }

  get written(): number {
    return this.#written;
  }

  get remaining(): number {
    return this.capacity - this.#written;
  }

  /** Copy `chunk` into the next bytes of the pages. */
  write(chunk: Uint8Array): void {
    if (chunk.length > this.remaining) {
      throw new MultifdError(
        'ERR_MULTIFD_PAYLOAD_SIZE',
        `${this.label} decodes to more than ${this.capacity} bytes (${this.#pages.length} pages)`,
      );
    }
    let at = 0;
    while (at < chunk.length) {
      const page = this.#pages[this.#page]!;
      const n = Math.min(PAGE_SIZE - this.#inPage, chunk.length - at);
      page.set(chunk.subarray(at, at + n), this.#inPage);
      at += n;
      this.#inPage += n;
      if (this.#inPage === PAGE_SIZE) {
        this.#page++;
        this.#inPage = 0;
      }
    }
    this.#written += chunk.length;
  }

  /** The current page's unfilled tail, for decompressors that write in place. */
  nextSpan(): Uint8Array | undefined {
    if (this.#page >= this.#pages.length) return undefined;
    return this.#pages[this.#page]!.subarray(this.#inPage);
  }

  /** Record that `n` bytes were written in place into `nextSpan()`. */
  advance(n: number): void {
    const span = PAGE_SIZE - this.#inPage;
    if (n > span || this.#page >= this.#pages.length) {
      throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `${this.label}: advance(${n}) past the page end`);
    }
    this.#inPage += n;
    this.#written += n;
    if (this.#inPage === PAGE_SIZE) {
      this.#page++;
      this.#inPage = 0;
    }
  }

  /** ERR_MULTIFD_PAYLOAD_SIZE unless every page was filled exactly. */
  finish(): void {
    if (this.#written !== this.capacity) {
      throw new MultifdError(
        'ERR_MULTIFD_PAYLOAD_SIZE',
        `${this.label} decodes to ${this.#written} bytes, expected ${this.capacity} (${this.#pages.length} pages)`,
      );
    }
  }
}
