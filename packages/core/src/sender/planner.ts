/**
 * What a multifd source sends, in order, decided once for every executor
 * (the transport's channel workers, an offline writer): the main stream's
 * bytes, packets of up to 128 pages of one RAMBlock, and syncs.
 *
 * It follows QEMU 7.2: the START section lists the RAMBlocks, then every pass
 * over (dirty) memory is one PART section (END for the last), all-zero pages
 * go as ZERO records on the main stream and the rest as multifd packets, and
 * each section closes with a sync of every channel followed by its EOS.
 */
import { PAGES_PER_PACKET, PAGE_SIZE } from '../constants.js';
import { MultifdError } from '../errors.js';
import { MainStreamEncoder } from '../main-stream/encoder.js';
import { isZeroPage } from '../pages/patterns.js';
import type { RAMBlock } from '../ramblock.js';

export type PlanStep =
  /** Bytes for the main connection. */
  | { kind: 'main'; bytes: Uint8Array }
  /** A packet of normal pages of one block, for whichever channel is free. */
  | { kind: 'packet'; block: RAMBlock; offsets: number[] }
  /** Every channel sends a SYNC packet after the packets it already has. */
  | { kind: 'sync' };

/** A page to send: block name and byte offset. */
export interface PageRef {
  block: string;
  offset: number;
}

export interface PlannerOptions {
  blocks: readonly RAMBlock[];
  /** Machine name for the configuration section. */
  machine?: string;
  /** Main-stream bytes to gather before emitting them (default 64 KiB). */
  mainChunk?: number;
  /** Pages per packet (default and maximum 128). */
  pagesPerPacket?: number;
}

export class MigrationPlanner {
  readonly #blocks: Map<string, RAMBlock>;
  readonly #main: MainStreamEncoder;
  readonly #mainChunk: number;
  readonly #perPacket: number;
  #started = false;
  #ended = false;
  /** Pages handled per pass: [zero records, normal pages]. */
  readonly counts = { zeroPages: 0, normalPages: 0, packets: 0, syncs: 0 };

  constructor(options: PlannerOptions) {
    this.#blocks = new Map(options.blocks.map((b) => [b.name, b]));
    this.#main = new MainStreamEncoder(options.machine ? { machine: options.machine } : {});
    this.#mainChunk = options.mainChunk ?? 64 * 1024;
    this.#perPacket = Math.min(options.pagesPerPacket ?? PAGES_PER_PACKET, PAGES_PER_PACKET);
    for (const b of options.blocks) {
      if (b.memory.length < b.usedLength) {
        throw new MultifdError('ERR_MULTIFD_TOO_LARGE', `RAMBlock ${b.name}: ${b.memory.length} bytes of memory for a used length of ${b.usedLength}`);
      }
    }
  }

  /** Header, configuration and START section (with its sync). */
  *start(): Generator<PlanStep> {
    if (this.#started) throw new MultifdError('ERR_MULTIFD_STATE', 'start() twice');
    this.#started = true;
    const bytes = this.#main.start([...this.#blocks.values()].map((b) => ({ name: b.name, usedLength: b.usedLength })));
    // QEMU syncs the channels before the START section's EOS; the encoder
    // returned the whole section, so the sync goes first: a receiver pairs it
    // with the EOS whichever arrives first.
    yield { kind: 'sync' };
    this.counts.syncs++;
    yield { kind: 'main', bytes };
  }

  /** Every page of every block, in order. */
  *allPages(): Generator<PageRef> {
    for (const b of this.#blocks.values()) {
      for (let off = 0; off < b.usedLength; off += PAGE_SIZE) yield { block: b.name, offset: off };
    }
  }

  /**
   * One pass over `pages` (PART section; END when `last`): zero pages as main
   * records, the others in packets of consecutive runs of one block, then a
   * sync and the section's EOS.
   */
  *pass(pages: Iterable<PageRef>, last = false): Generator<PlanStep> {
    if (!this.#started || this.#ended) throw new MultifdError('ERR_MULTIFD_STATE', `pass() ${this.#ended ? 'after the last pass' : 'before start()'}`);
    this.#main.begin(last ? 'end' : 'part');
    let block: RAMBlock | undefined;
    let offsets: number[] = [];
    const flushPacket = (): PlanStep | undefined => {
      if (!block || offsets.length === 0) return undefined;
      const step: PlanStep = { kind: 'packet', block, offsets };
      offsets = [];
      this.counts.packets++;
      return step;
    };
    for (const ref of pages) {
      const b = this.#blocks.get(ref.block);
      if (!b) throw new MultifdError('ERR_MULTIFD_UNKNOWN_RAMBLOCK', `unknown RAMBlock ${JSON.stringify(ref.block)}`);
      if (!(ref.offset % PAGE_SIZE === 0 && ref.offset + PAGE_SIZE <= b.usedLength)) {
        throw new MultifdError('ERR_MULTIFD_OFFSET_RANGE', `page 0x${ref.offset.toString(16)} is not a page of ${b.name}`);
      }
      const page = b.memory.subarray(ref.offset, ref.offset + PAGE_SIZE);
      if (isZeroPage(page)) {
        this.#main.zero(b.name, ref.offset);
        this.counts.zeroPages++;
        const pending = this.#main.drainIfOver(this.#mainChunk);
        if (pending) yield { kind: 'main', bytes: pending };
        continue;
      }
      if (b !== block || offsets.length >= this.#perPacket) {
        const step = flushPacket();
        if (step) yield step;
        block = b;
      }
      offsets.push(ref.offset);
      this.counts.normalPages++;
    }
    const step = flushPacket();
    if (step) yield step;
    const records = this.#main.drain();
    if (records.length > 0) yield { kind: 'main', bytes: records };
    yield { kind: 'sync' };
    this.counts.syncs++;
    yield { kind: 'main', bytes: this.#main.endOfSection() };
    if (last) {
      this.#ended = true;
      yield { kind: 'main', bytes: this.#main.eof() };
    }
  }
}
