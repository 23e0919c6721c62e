/**
 * Where received pages go. The assembler asks a sink for views to decode a
 * packet's pages into, then commits them; a memory sink hands out views of
 * the RAMBlocks themselves (decoding in place), a file sink views of a
 * scratch buffer it then writes out. `key` separates concurrent users
 * (one per channel, and the main stream), whose views must not overlap.
 */
import type { MaybePromise } from '../codec/methods.js';
import type { RAMBlockInfo } from '../ram/ramblock.js';

export interface PageSink {
  /** The migration's RAMBlocks, from the main stream (not called without one). */
  setBlocks(blocks: readonly RAMBlockInfo[]): MaybePromise<void>;
  /** Views (4096 bytes each) for the pages at `offsets` of `block`, valid until commitPages. */
  pageViews(key: string, block: RAMBlockInfo, offsets: readonly number[]): readonly Uint8Array[];
  /** The views from the last pageViews(key, ...) now hold the pages. */
  commitPages(key: string, block: RAMBlockInfo, offsets: readonly number[]): MaybePromise<void>;
  /**
   * Pages whose every byte is `value`. For zero pages the assembler calls it
   * only for pages that held other data before (a fresh sink is zero); a
   * sink that wants every zero page hears of it through zeroPages.
   */
  fillPages(block: RAMBlockInfo, offsets: readonly number[], value: number): MaybePromise<void>;
  /** Every zero page received (main-stream records and pages listed in packets), before fillPages. Optional. */
  zeroPages?(block: RAMBlockInfo, offsets: readonly number[]): MaybePromise<void>;
  /**
   * The migration is over. `lengths` gives each block's final length (the
   * used length, or without a main stream the end of the highest page).
   */
  close(lengths: ReadonlyMap<string, number>): MaybePromise<void>;
  /** Give up: release everything (a failed migration). */
  abort?(): MaybePromise<void>;
  /**
   * How another thread opens this same sink (once setBlocks() has run): a
   * description it can be sent as, e.g. the shared memory of each block or
   * each block's file. Only sinks that worker threads can write into have it.
   */
  workerTarget?(blocks: readonly RAMBlockInfo[]): WorkerTarget;
}

/** A sink as a worker thread opens it: `kind` says which; the rest is data a worker can receive (structured-cloneable). */
export interface WorkerTarget {
  readonly kind: string;
}
