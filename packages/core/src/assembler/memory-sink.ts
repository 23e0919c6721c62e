/**
 * A sink that holds RAMBlocks in memory (ArrayBuffer or SharedArrayBuffer).
 * Codecs decode straight into the block's memory. Memory is allocated per
 * block on first use (untouched pages of a SharedArrayBuffer cost no RSS).
 *
 * A block is a region of a buffer (BlockMemory), and pages are views made
 * at their offsets: Node 20 refuses a typed array longer than 4 GiB, but not
 * a buffer that large nor a view at an offset past 4 GiB, so a block of any
 * size is one buffer. block(name) gives the whole block as one Uint8Array
 * when that is allowed; view(name, offset, length) always works.
 */
import { PAGE_SIZE } from '../wire/constants.js';
import { touchPages } from '../ram/touch.js';
import { MultifdError } from '../errors.js';
import type { RAMBlockInfo } from '../ram/ramblock.js';
import type { PageSink } from './page-sink.js';

/** Where a block's bytes are: `length` bytes of `buffer` from `byteOffset`. */
export interface BlockMemory {
  readonly buffer: ArrayBufferLike;
  readonly byteOffset: number;
  readonly length: number;
}

/** Longest Uint8Array Node 20 makes (2^32 - 1 elements would do; a page less keeps views page-aligned). */
export const MAX_VIEW_BYTES = 2 ** 32 - PAGE_SIZE;

/** Bytes copied or touched per step in blocks past MAX_VIEW_BYTES. */
const STEP = 1 << 30;

export interface MemorySinkOptions {
  /** Use SharedArrayBuffer (default) so worker threads can share the blocks. */
  shared?: boolean;
  /** Largest block this sink agrees to hold (default 1 TiB). */
  maxBlockBytes?: number;
  /** Blocks to use as they are (e.g. the memory of an embedding program). */
  blocks?: ReadonlyMap<string, Uint8Array | BlockMemory>;
  /**
   * Reserve and touch this many bytes now, and carve the blocks out of them
   * when the migration names them: QEMU's -mem-prealloc. The first write to
   * a fresh page costs a page fault (microseconds on some VMs); paid here,
   * before the migration, it is not paid during it.
   */
  preallocBytes?: number;
}

/** `length` bytes of `m` from `offset`, as one view (length must stay within MAX_VIEW_BYTES). */
export function blockView(m: BlockMemory, offset: number, length: number): Uint8Array {
  return new Uint8Array(m.buffer, m.byteOffset + offset, length);
}

function asBlockMemory(m: Uint8Array | BlockMemory): BlockMemory {
  return { buffer: m.buffer, byteOffset: m.byteOffset, length: m.length };
}

export class MemorySink implements PageSink {
  readonly #blocks = new Map<string, BlockMemory>();
  readonly #shared: boolean;
  readonly #max: number;
  /** Touched memory not yet given to a block. */
  #reserve: BlockMemory | undefined;

  constructor(options: MemorySinkOptions = {}) {
    this.#shared = options.shared ?? true;
    this.#max = options.maxBlockBytes ?? 2 ** 40;
    for (const [name, mem] of options.blocks ?? []) this.#blocks.set(name, asBlockMemory(mem));
    const prealloc = options.preallocBytes ?? 0;
    if (prealloc > 0) {
      const size = Math.ceil(prealloc / PAGE_SIZE) * PAGE_SIZE;
      const reserve: BlockMemory = { buffer: this.#allocate(size), byteOffset: 0, length: size };
      for (let at = 0; at < size; at += STEP) touchPages(blockView(reserve, at, Math.min(STEP, size - at)));
      this.#reserve = reserve;
    }
  }

  /**
   * A block's memory as one Uint8Array (undefined when it never appeared).
   * A block longer than MAX_VIEW_BYTES cannot be one array on Node 20:
   * ERR_MULTIFD_TOO_LARGE; read it with view() or memory().
   */
  block(name: string): Uint8Array | undefined {
    const m = this.#blocks.get(name);
    if (!m) return undefined;
    if (m.length > MAX_VIEW_BYTES) {
      throw new MultifdError('ERR_MULTIFD_TOO_LARGE', `RAMBlock ${JSON.stringify(name)} is ${m.length} bytes, more than one array can hold: read it with view(name, offset, length)`);
    }
    return blockView(m, 0, m.length);
  }

  /** Where a block's bytes are (undefined when it never appeared). */
  memory(name: string): BlockMemory | undefined {
    return this.#blocks.get(name);
  }

  /** `length` bytes of a block from `offset`. */
  view(name: string, offset: number, length: number): Uint8Array {
    const m = this.#blocks.get(name);
    if (!m || offset < 0 || offset + length > m.length) throw new MultifdError('ERR_MULTIFD_OFFSET_RANGE', `${length} bytes at ${offset} are not within RAMBlock ${JSON.stringify(name)}`);
    return blockView(m, offset, length);
  }

  names(): string[] {
    return [...this.#blocks.keys()];
  }

  /** Worker threads decode into the same shared memory. */
  workerTarget(blocks: readonly RAMBlockInfo[]): { kind: 'memory'; blocks: { name: string; memory: BlockMemory }[] } {
    return { kind: 'memory', blocks: blocks.map((b) => ({ name: b.name, memory: this.#blocks.get(b.name)! })) };
  }

  setBlocks(blocks: readonly RAMBlockInfo[]): void {
    for (const b of blocks) this.#memory(b, b.usedLength);
  }

  pageViews(_key: string, block: RAMBlockInfo, offsets: readonly number[]): Uint8Array[] {
    const mem = this.#forPages(block, offsets);
    return offsets.map((off) => blockView(mem, off, PAGE_SIZE));
  }

  commitPages(): void {
    // The pages were decoded in place.
  }

  fillPages(block: RAMBlockInfo, offsets: readonly number[], value: number): void {
    const mem = this.#forPages(block, offsets);
    for (const off of offsets) blockView(mem, off, PAGE_SIZE).fill(value);
  }

  close(lengths: ReadonlyMap<string, number>): void {
    for (const [name, length] of lengths) {
      const mem = this.#blocks.get(name);
      if (mem && mem.length > length) this.#blocks.set(name, { ...mem, length });
    }
  }

  #allocate(size: number): ArrayBufferLike {
    return this.#shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
  }

  #forPages(block: RAMBlockInfo, offsets: readonly number[]): BlockMemory {
    let end = 0;
    for (const off of offsets) end = Math.max(end, off + PAGE_SIZE);
    return this.#memory(block, end);
  }

  /** `size` bytes of the preallocated reserve (zero-filled, resident), if enough is left. */
  #fromReserve(size: number): BlockMemory | undefined {
    const reserve = this.#reserve;
    if (!reserve || size === 0 || size > reserve.length) return undefined;
    this.#reserve = { buffer: reserve.buffer, byteOffset: reserve.byteOffset + size, length: reserve.length - size };
    return { buffer: reserve.buffer, byteOffset: reserve.byteOffset, length: size };
  }

  /** The block's memory, at least `length` bytes (grown when no main stream told the size). */
  #memory(block: RAMBlockInfo, length: number): BlockMemory {
    const mem = this.#blocks.get(block.name);
    if (mem && mem.length >= length) return mem;
    // Without a main stream the block's size is unknown (usedLength Infinity): grow geometrically.
    const size = Number.isFinite(block.usedLength)
      ? Math.max(length, block.usedLength)
      : Math.max(length, Math.min(2 * (mem?.length ?? 0), this.#max));
    if (size > this.#max) {
      throw new MultifdError('ERR_MULTIFD_TOO_LARGE', `RAMBlock ${JSON.stringify(block.name)} needs ${size} bytes, limit ${this.#max}`);
    }
    const next = this.#fromReserve(mem ? 0 : size) ?? { buffer: this.#allocate(size), byteOffset: 0, length: size };
    if (mem) for (let at = 0; at < mem.length; at += STEP) blockView(next, at, Math.min(STEP, mem.length - at)).set(blockView(mem, at, Math.min(STEP, mem.length - at)));
    this.#blocks.set(block.name, next);
    return next;
  }
}
