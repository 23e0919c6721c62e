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
import { bufferView, isZeroRange } from '../pages/patterns.js';
import type { RAMBlock } from '../ramblock.js';

export type PlanStep =
  /** Bytes for the main connection. */
  | { kind: 'main'; bytes: Uint8Array }
  /** A packet of normal pages of one block, for whichever channel is free. */
  | { kind: 'packet'; block: RAMBlock; offsets: number[] }
  /** Every channel sends a SYNC packet after the packets it already has. */
  | { kind: 'sync' };

/** Bytes checked at once on the zero fast path (16 pages). */
const ZERO_RUN_BYTES = 16 * PAGE_SIZE;

/** A page to send: block name and byte offset. */
export interface PageRef {
  block: string;
  offset: number;
}

/**
 * Which pages a pass sends: 'all' (every page of every block), a list of
 * pages, or offsets per block name (the cheapest for large dirty sets).
 */
export type PageSelection = 'all' | Iterable<PageRef> | ReadonlyMap<string, Iterable<number>>;

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
   * records, the others in packets of up to 128 pages of one block, then a
   * sync and the section's EOS.
   */
  *pass(pages: PageSelection, last = false): Generator<PlanStep> {
    if (!this.#started || this.#ended) throw new MultifdError('ERR_MULTIFD_STATE', `pass() ${this.#ended ? 'after the last pass' : 'before start()'}`);
    this.#main.begin(last ? 'end' : 'part');
    for (const [block, offsets] of this.#byBlock(pages)) yield* this.#scan(block, offsets);
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

  /** The selection as (block, offsets) runs; 'all' means every page of the block. */
  *#byBlock(pages: PageSelection): Generator<[RAMBlock, Iterable<number> | 'all']> {
    if (pages === 'all') {
      for (const b of this.#blocks.values()) yield [b, 'all'];
      return;
    }
    if (pages instanceof Map) {
      for (const [name, offsets] of pages as ReadonlyMap<string, Iterable<number>>) yield [this.#block(name), offsets];
      return;
    }
    // A list of PageRefs: group consecutive refs of one block.
    let block: RAMBlock | undefined;
    let run: number[] = [];
    for (const ref of pages as Iterable<PageRef>) {
      if (ref.block !== block?.name) {
        if (block && run.length > 0) yield [block, run];
        block = this.#block(ref.block);
        run = [];
      }
      run.push(ref.offset);
    }
    if (block && run.length > 0) yield [block, run];
  }

  #block(name: string): RAMBlock {
    const b = this.#blocks.get(name);
    if (!b) throw new MultifdError('ERR_MULTIFD_UNKNOWN_RAMBLOCK', `unknown RAMBlock ${JSON.stringify(name)}`);
    return b;
  }

  /** Zero records and packets for `offsets` of one block. */
  *#scan(block: RAMBlock, offsets: Iterable<number> | 'all'): Generator<PlanStep> {
    const mem = bufferView(block.memory);
    const used = block.usedLength;
    let packet: number[] = [];
    const zero = (off: number): Uint8Array | undefined => {
      this.#main.zero(block.name, off);
      this.counts.zeroPages++;
      return this.#main.drainIfOver(this.#mainChunk);
    };
    const normal = (off: number): PlanStep | undefined => {
      packet.push(off);
      this.counts.normalPages++;
      if (packet.length < this.#perPacket) return undefined;
      const step: PlanStep = { kind: 'packet', block, offsets: packet };
      packet = [];
      this.counts.packets++;
      return step;
    };
    const isZero = (off: number) =>
      mem[off] === 0 && mem[off + PAGE_SIZE - 1] === 0 && mem[off + PAGE_SIZE / 2] === 0 && isZeroRange(mem, off, off + PAGE_SIZE);
    if (offsets === 'all') {
      for (let off = 0; off < used; ) {
        // Fast path: 16 zero pages at once (most of an idle guest's RAM).
        if (off + ZERO_RUN_BYTES <= used && mem[off] === 0 && isZeroRange(mem, off, off + ZERO_RUN_BYTES)) {
          for (const end = off + ZERO_RUN_BYTES; off < end; off += PAGE_SIZE) {
            const bytes = zero(off);
            if (bytes) yield { kind: 'main', bytes };
          }
          continue;
        }
        const step = isZero(off) ? zero(off) : normal(off);
        if (step) yield step instanceof Uint8Array ? { kind: 'main', bytes: step } : step;
        off += PAGE_SIZE;
      }
    } else {
      for (const off of offsets) {
        if (!(off % PAGE_SIZE === 0 && off >= 0 && off + PAGE_SIZE <= used)) {
          throw new MultifdError('ERR_MULTIFD_OFFSET_RANGE', `0x${off.toString(16)} is not a page of ${block.name}`);
        }
        const step = isZero(off) ? zero(off) : normal(off);
        if (step) yield step instanceof Uint8Array ? { kind: 'main', bytes: step } : step;
      }
    }
    if (packet.length > 0) {
      this.counts.packets++;
      yield { kind: 'packet', block, offsets: packet };
    }
  }
}
