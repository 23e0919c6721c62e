/**
 * What a multifd source sends, in order, decided once for every executor
 * (the transport's channel workers, an offline writer): the main stream's
 * bytes, packets of up to 128 pages of one RAMBlock, and syncs.
 *
 * It follows QEMU 7.2: the START section lists the RAMBlocks, then every pass
 * over (dirty) memory is one PART section (END for the last), all-zero pages
 * go as ZERO records on the main stream and the rest as multifd packets, and
 * each section closes with a sync of every channel followed by its EOS.
 *
 * Unlike QEMU 7.2, which checks every page for zeros in its one migration
 * thread, the planner only hands out candidate pages: executors scan them
 * (in parallel, one channel worker each) and report the zero pages back, and
 * only then are the section's ZERO records written, before its EOS.
 */
import { PAGES_PER_PACKET, PAGE_SIZE } from '../wire/constants.js';
import { MultifdError } from '../errors.js';
import { MainStreamEncoder } from '../main-stream/encoder.js';
import type { ScanPages } from '../ram/zero-pages.js';
import { MIG_CMD_SWITCHOVER_START } from '../main-stream/format.js';
import { QEMU_7_2, type WireProfile } from '../wire/profile.js';
import type { RAMBlock, RAMBlockInfo } from '../ram/ramblock.js';

/**
 * A block the planner plans for: its name and used length, and, when the
 * executor reads pages from memory, that memory (a file-backed block has
 * none: its executor reads the file).
 */
export type PlannedBlock = RAMBlockInfo & { readonly memory?: Uint8Array };

export type PlanStep<B extends PlannedBlock = RAMBlock> =
  /** Bytes for the main connection. */
  | { kind: 'main'; bytes: Uint8Array }
  /**
   * Pages of one block to send, for whichever channel is free: the executor
   * splits them into zero and normal pages (splitZeroPages), sends the normal
   * ones in packets of up to 128, and reports the zero ones back with
   * planner.zeroPages() (QEMU 7.2 sends those as main-stream records).
   */
  | { kind: 'scan'; block: B; pages: ScanPages; zeroInPackets: boolean }
  /** Every scan so far must be finished and its zero pages reported. */
  | { kind: 'drain' }
  /** Every channel sends a SYNC packet after the packets it already has. */
  | { kind: 'sync' };

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

export interface PlannerOptions<B extends PlannedBlock = RAMBlock> {
  blocks: readonly B[];
  /** Machine name for the configuration section. */
  machine?: string;
  /** Main-stream bytes to gather before emitting them (default 64 KiB). */
  mainChunk?: number;
  /** Candidate pages per scan step (default 1024: 4 MiB, a few packets). */
  scanPages?: number;
  /** Wire variant (default qemu-7.2). */
  profile?: WireProfile;
}

export class MigrationPlanner<B extends PlannedBlock = RAMBlock> {
  readonly #blocks: Map<string, B>;
  readonly #main: MainStreamEncoder;
  readonly #mainChunk: number;
  readonly #scanPages: number;
  readonly profile: WireProfile;
  #started = false;
  #ended = false;
  /** Pages handled per pass: [zero records, normal pages]. */
  readonly counts = { zeroPages: 0, normalPages: 0, packets: 0, syncs: 0 };

  constructor(options: PlannerOptions<B>) {
    this.#blocks = new Map(options.blocks.map((b) => [b.name, b]));
    this.profile = options.profile ?? QEMU_7_2;
    this.#main = new MainStreamEncoder({ machine: options.machine ?? this.profile.machine });
    this.#mainChunk = options.mainChunk ?? 64 * 1024;
    this.#scanPages = Math.max(1, options.scanPages ?? 8 * PAGES_PER_PACKET);
    for (const b of options.blocks) {
      if (b.memory && b.memory.length < b.usedLength) {
        throw new MultifdError('ERR_MULTIFD_TOO_LARGE', `RAMBlock ${b.name}: ${b.memory.length} bytes of memory for a used length of ${b.usedLength}`);
      }
    }
  }

  /** Header, configuration and START section (with its sync). */
  *start(): Generator<PlanStep<B>> {
    if (this.#started) throw new MultifdError('ERR_MULTIFD_STATE', 'start() twice');
    this.#started = true;
    const bytes = this.#main.start(
      [...this.#blocks.values()].map((b) => ({ name: b.name, usedLength: b.usedLength })),
      { flush: this.profile.flushRecords },
    );
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
   * One pass over `pages` (PART section; END when `last`): scan steps for the
   * channels, then, once they are drained, the zero pages' records, a sync
   * and the section's EOS.
   */
  *pass(pages: PageSelection, last = false): Generator<PlanStep<B>> {
    if (!this.#started || this.#ended) throw new MultifdError('ERR_MULTIFD_STATE', `pass() ${this.#ended ? 'after the last pass' : 'before start()'}`);
    if (last && this.profile.switchoverCommand) yield { kind: 'main', bytes: this.#main.command(MIG_CMD_SWITCHOVER_START) };
    this.#main.begin(last ? 'end' : 'part');
    for (const [block, offsets] of this.#byBlock(pages)) yield* this.#scans(block, offsets);
    yield { kind: 'drain' };
    const records = this.#main.drain();
    if (records.length > 0) yield { kind: 'main', bytes: records };
    yield { kind: 'sync' };
    this.counts.syncs++;
    // QEMU 10: the receiver syncs on this record, just before the EOS.
    if (this.profile.flushRecords) this.#main.flush();
    yield { kind: 'main', bytes: this.#main.endOfSection() };
    if (last) {
      this.#ended = true;
      yield { kind: 'main', bytes: this.#main.eof() };
    }
  }

  /**
   * An executor found these pages of `block` all zero: they become ZERO
   * records of the open section. Returns main-stream bytes to send once
   * enough have gathered.
   */
  zeroPages(block: RAMBlockInfo, offsets: readonly number[]): Uint8Array | undefined {
    for (const off of offsets) this.#main.zero(block.name, off);
    this.counts.zeroPages += offsets.length;
    return this.#main.drainIfOver(this.#mainChunk);
  }

  /** An executor sent `pages` normal pages (and `zeroPages` zero pages listed in packets) in `packets` packets. */
  sent(pages: number, packets: number, zeroPages = 0): void {
    this.counts.normalPages += pages;
    this.counts.packets += packets;
    this.counts.zeroPages += zeroPages;
  }

  /** The selection as (block, offsets) runs; 'all' means every page of the block. */
  *#byBlock(pages: PageSelection): Generator<[B, Iterable<number> | 'all']> {
    if (pages === 'all') {
      for (const b of this.#blocks.values()) yield [b, 'all'];
      return;
    }
    if (pages instanceof Map) {
      for (const [name, offsets] of pages as ReadonlyMap<string, Iterable<number>>) yield [this.#block(name), offsets];
      return;
    }
    // A list of PageRefs: group consecutive refs of one block.
    let block: B | undefined;
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

  #block(name: string): B {
    const b = this.#blocks.get(name);
    if (!b) throw new MultifdError('ERR_MULTIFD_UNKNOWN_RAMBLOCK', `unknown RAMBlock ${JSON.stringify(name)}`);
    return b;
  }

  /** Scan steps of at most #scanPages pages for `offsets` of one block. */
  *#scans(block: B, offsets: Iterable<number> | 'all'): Generator<PlanStep<B>> {
    const used = block.usedLength;
    const step = this.#scanPages;
    const zeroInPackets = this.profile.zeroPages === 'packet';
    if (offsets === 'all') {
      const pages = used / PAGE_SIZE;
      for (let p = 0; p < pages; p += step) yield { kind: 'scan', block, pages: { start: p * PAGE_SIZE, count: Math.min(step, pages - p) }, zeroInPackets };
      return;
    }
    let batch: number[] = [];
    for (const off of offsets) {
      if (!(off % PAGE_SIZE === 0 && off >= 0 && off + PAGE_SIZE <= used)) {
        throw new MultifdError('ERR_MULTIFD_OFFSET_RANGE', `0x${off.toString(16)} is not a page of ${block.name}`);
      }
      batch.push(off);
      if (batch.length === step) {
        yield { kind: 'scan', block, pages: batch, zeroInPackets };
        batch = [];
      }
    }
    if (batch.length > 0) yield { kind: 'scan', block, pages: batch, zeroInPackets };
  }
}
