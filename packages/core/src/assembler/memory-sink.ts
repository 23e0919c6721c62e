/**
 * A sink that holds RAMBlocks in memory (ArrayBuffer or SharedArrayBuffer).
 * Codecs decode straight into the block's memory. Memory is allocated per
 * block on first use (untouched pages of a SharedArrayBuffer cost no RSS).
 */
import { PAGE_SIZE } from '../constants.js';
import { touchPages } from '../pages/touch.js';
import { MultifdError } from '../errors.js';
import type { RAMBlockInfo } from '../ramblock.js';
import type { PageSink } from './page-sink.js';

export interface MemorySinkOptions {
  /** Use SharedArrayBuffer (default) so worker threads can share the blocks. */
  shared?: boolean;
  /** Largest block this sink agrees to hold (default 4 GiB). */
  maxBlockBytes?: number;
  /** Blocks to use as they are (e.g. the memory of an embedding program). */
  blocks?: ReadonlyMap<string, Uint8Array>;
  /**
   * Reserve and touch this many bytes now, and carve the blocks out of them
   * when the migration names them: QEMU's -mem-prealloc. The first write to
   * a fresh page costs a page fault (microseconds on some VMs); paid here,
   * before the migration, it is not paid during it.
   */
  preallocBytes?: number;
}

export class MemorySink implements PageSink {
  readonly #blocks = new Map<string, Uint8Array>();
  readonly #shared: boolean;
  readonly #max: number;
  /** Touched memory not yet given to a block. */
  #reserve: Uint8Array | undefined;

  constructor(options: MemorySinkOptions = {}) {
    this.#shared = options.shared ?? true;
    this.#max = options.maxBlockBytes ?? 4 * 1024 ** 3;
    for (const [name, mem] of options.blocks ?? []) this.#blocks.set(name, mem);
    const prealloc = options.preallocBytes ?? 0;
    if (prealloc > 0) {
      const size = Math.ceil(prealloc / PAGE_SIZE) * PAGE_SIZE;
      const mem = new Uint8Array(this.#shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
      touchPages(mem);
      this.#reserve = mem;
    }
  }

  /** A block's memory (undefined when it never appeared). */
  block(name: string): Uint8Array | undefined {
    return this.#blocks.get(name);
  }

  names(): string[] {
    return [...this.#blocks.keys()];
  }

  setBlocks(blocks: readonly RAMBlockInfo[]): void {
    for (const b of blocks) this.#memory(b, b.usedLength);
  }

  pageViews(_key: string, block: RAMBlockInfo, offsets: readonly number[]): Uint8Array[] {
    const mem = this.#forPages(block, offsets);
    return offsets.map((off) => mem.subarray(off, off + PAGE_SIZE));
  }

  commitPages(): void {
    // The pages were decoded in place.
  }

  fillPages(block: RAMBlockInfo, offsets: readonly number[], value: number): void {
    const mem = this.#forPages(block, offsets);
    for (const off of offsets) mem.fill(value, off, off + PAGE_SIZE);
  }

  close(lengths: ReadonlyMap<string, number>): void {
    for (const [name, length] of lengths) {
      const mem = this.#blocks.get(name);
      if (mem && mem.length > length) this.#blocks.set(name, mem.subarray(0, length));
    }
  }

  #forPages(block: RAMBlockInfo, offsets: readonly number[]): Uint8Array {
    let end = 0;
    for (const off of offsets) end = Math.max(end, off + PAGE_SIZE);
    return this.#memory(block, end);
  }

  /** `size` bytes of the preallocated reserve (zero-filled, resident), if enough is left. */
  #fromReserve(size: number): Uint8Array | undefined {
    const reserve = this.#reserve;
    if (!reserve || size === 0 || size > reserve.length) return undefined;
    this.#reserve = reserve.subarray(size);
    return reserve.subarray(0, size);
  }

  /** The block's memory, at least `length` bytes (grown when no main stream told the size). */
  #memory(block: RAMBlockInfo, length: number): Uint8Array {
    let mem = this.#blocks.get(block.name);
    if (mem && mem.length >= length) return mem;
    // Without a main stream the block's size is unknown (usedLength Infinity): grow geometrically.
    const size = Number.isFinite(block.usedLength)
      ? Math.max(length, block.usedLength)
      : Math.max(length, Math.min(2 * (mem?.length ?? 0), this.#max));
    if (size > this.#max) {
      throw new MultifdError('ERR_MULTIFD_TOO_LARGE', `RAMBlock ${JSON.stringify(block.name)} needs ${size} bytes, limit ${this.#max}`);
    }
    const next = this.#fromReserve(mem ? 0 : size) ?? new Uint8Array(this.#shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
    if (mem) next.set(mem);
    this.#blocks.set(block.name, (mem = next));
    return mem;
  }
}
