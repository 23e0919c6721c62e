/**
 * A PageSink that keeps nothing: `decode` without --out still decodes every
 * payload (so every check runs) into one scratch buffer per stream.
 */
import { PAGE_SIZE, PAGES_PER_PACKET, type PageSink } from '@multifd/core';

export class DiscardSink implements PageSink {
  readonly #scratch = new Map<string, Uint8Array>();

  setBlocks(): void {}

  pageViews(key: string, _block: unknown, offsets: readonly number[]): Uint8Array[] {
    let buf = this.#scratch.get(key);
    if (!buf) this.#scratch.set(key, (buf = new Uint8Array(PAGES_PER_PACKET * PAGE_SIZE)));
    const scratch = buf;
    return offsets.map((_, i) => scratch.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
  }

  commitPages(): void {}

  fillPages(): void {}

  close(): void {
    this.#scratch.clear();
  }
}
