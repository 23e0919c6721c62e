/**
 * Scratch memory for sinks that do not decode in place (a file sink writes
 * the pages out, a verifying sink compares them): one packet's worth per
 * user key (a channel, the main stream), handed out by pageViews() and read
 * back at commitPages().
 */
import { PAGES_PER_PACKET, PAGE_SIZE } from '../wire/constants.js';
import { MultifdError } from '../errors.js';

export class ScratchPages {
  readonly #scratch = new Map<string, Uint8Array>();

  /** Views of the first `count` pages of `key`'s scratch. */
  views(key: string, count: number): Uint8Array[] {
    let scratch = this.#scratch.get(key);
    if (!scratch) this.#scratch.set(key, (scratch = new Uint8Array(PAGES_PER_PACKET * PAGE_SIZE)));
    const buf = scratch;
    return Array.from({ length: count }, (_, i) => buf.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
  }

  /** `key`'s scratch, once views() gave it out. */
  of(key: string): Uint8Array {
    const scratch = this.#scratch.get(key);
    if (!scratch) throw new MultifdError('ERR_MULTIFD_STATE', `commitPages(${key}) without pageViews`);
    return scratch;
  }
}
