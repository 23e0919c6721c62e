/**
 * A PageSink that catches writes outside a RAMBlock.
 *
 * Each RAMBlock lives inside a larger buffer, with guard regions of a fixed
 * random pattern right before and right after its used length:
 *
 *     [ guard 8 KiB ][ block: usedLength bytes ][ guard 8 KiB ][ spare ]
 *
 * Page views are views of that buffer (adjacent pages are adjacent views, so
 * codecs take their one-call-per-run paths). Any write that leaves a block,
 * through a view that is too long, a merged run that overshoots, or an offset
 * the decoder should have refused, lands in a guard and is found by
 * `check()`. Every offset the decoder hands the sink is also checked against
 * the block's used length before a view is made; a bad one is recorded as a
 * violation and answered with a scratch page, so the run goes on.
 *
 * Buffers are kept per block position between runs (grown when a run asks
 * for a longer block), so a fuzz loop does not allocate per input.
 */
import { MultifdError, PAGE_SIZE, type PageSink, type RAMBlockInfo } from '@multifd/core';

export const GUARD_SIZE = 2 * PAGE_SIZE;

export interface GuardedSinkOptions {
  /** Largest block the sink holds (like MemorySink's maxBlockBytes). */
  maxBlockBytes: number;
  /** Capacity of a block whose used length is unknown (no main stream). */
  unknownBlockBytes: number;
}

interface Arena {
  buf: Uint8Array;
  /** The block's bytes: buf[GUARD_SIZE, GUARD_SIZE + used). */
  used: number;
}

/** The guard pattern: fixed pseudo-random bytes (not a constant a decoder might write). */
const PATTERN = (() => {
  const p = new Uint8Array(GUARD_SIZE);
  let x = 0x9e3779b9;
  for (let i = 0; i < p.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    p[i] = x & 0xff;
  }
  return p;
})();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

export class GuardedSink implements PageSink {
  readonly #o: GuardedSinkOptions;
  /** Arenas by block position (order of setBlocks, or of first use without a main stream). */
  readonly #arenas: Arena[] = [];
  /** This run's blocks by name. */
  #blocks = new Map<string, { info: RAMBlockInfo; arena: Arena }>();
  #scratch = new Uint8Array(PAGE_SIZE);
  /** Outside writes and bad requests seen in this run. */
  violations: string[] = [];
  /** Pages written (views handed out + fills) in this run. */
  pagesWritten = 0;
  closed = false;

  constructor(options: GuardedSinkOptions) {
    this.#o = options;
  }

  /** Start a new run (keeps the buffers). */
  reset(): void {
    this.#blocks = new Map();
    this.violations = [];
    this.pagesWritten = 0;
    this.closed = false;
  }

  /** The memory of block `name` in this run (a view of its used length). */
  block(name: string): Uint8Array | undefined {
    const b = this.#blocks.get(name);
    return b ? b.arena.buf.subarray(GUARD_SIZE, GUARD_SIZE + b.arena.used) : undefined;
  }

  setBlocks(blocks: readonly RAMBlockInfo[]): void {
    for (const info of blocks) {
      if (!(Number.isSafeInteger(info.usedLength) && info.usedLength >= 0 && info.usedLength <= this.#o.maxBlockBytes)) {
        throw new MultifdError('ERR_MULTIFD_TOO_LARGE', `RAMBlock ${JSON.stringify(info.name)} needs ${info.usedLength} bytes, limit ${this.#o.maxBlockBytes}`);
      }
      if (this.#blocks.has(info.name)) {
        this.violations.push(`setBlocks lists ${JSON.stringify(info.name)} twice`);
        continue;
      }
      this.#open(info, info.usedLength);
    }
  }

  pageViews(key: string, block: RAMBlockInfo, offsets: readonly number[]): Uint8Array[] {
    const b = this.#lookup(block, `pageViews(${key})`);
    const views = new Array<Uint8Array>(offsets.length);
    for (let i = 0; i < offsets.length; i++) {
      const off = offsets[i]!;
      views[i] = b && this.#inside(b.arena, off, block.name, 'pageViews') ? b.arena.buf.subarray(GUARD_SIZE + off, GUARD_SIZE + off + PAGE_SIZE) : this.#scratch;
    }
    this.pagesWritten += offsets.length;
    return views;
  }

  commitPages(key: string, block: RAMBlockInfo, offsets: readonly number[]): void {
    const b = this.#lookup(block, `commitPages(${key})`);
    if (b) for (const off of offsets) this.#inside(b.arena, off, block.name, 'commitPages');
  }

  fillPages(block: RAMBlockInfo, offsets: readonly number[], value: number): void {
    const b = this.#lookup(block, 'fillPages');
    for (const off of offsets) {
      if (b && this.#inside(b.arena, off, block.name, 'fillPages')) b.arena.buf.fill(value, GUARD_SIZE + off, GUARD_SIZE + off + PAGE_SIZE);
    }
    this.pagesWritten += offsets.length;
  }

  close(lengths: ReadonlyMap<string, number>): void {
    this.closed = true;
    for (const [name, length] of lengths) {
      const b = this.#blocks.get(name);
      if (b && !(length >= 0 && length <= b.arena.used)) this.violations.push(`close() gives ${name} length ${length}, beyond its ${b.arena.used} bytes`);
    }
  }

  abort(): void {}

  /**
   * Check every guard of this run's blocks; returns the violations of the
   * run (outside writes included) and restores damaged guards.
   */
  check(): string[] {
    for (const [name, b] of this.#blocks) {
      const { buf, used } = b.arena;
      const before = buf.subarray(0, GUARD_SIZE);
      const after = buf.subarray(GUARD_SIZE + used, GUARD_SIZE + used + GUARD_SIZE);
      if (!sameBytes(before, PATTERN)) {
        this.violations.push(`write before the start of RAMBlock ${JSON.stringify(name)}`);
        before.set(PATTERN);
      }
      if (!sameBytes(after, PATTERN)) {
        this.violations.push(`write past the end of RAMBlock ${JSON.stringify(name)} (used length 0x${used.toString(16)})`);
        after.set(PATTERN);
      }
    }
    return this.violations;
  }

  #lookup(block: RAMBlockInfo, what: string): { info: RAMBlockInfo; arena: Arena } | undefined {
    const b = this.#blocks.get(block.name);
    if (b) return b;
    if (block.usedLength === Number.POSITIVE_INFINITY) return this.#open(block, this.#o.unknownBlockBytes);
    this.violations.push(`${what} for RAMBlock ${JSON.stringify(block.name)} that setBlocks never listed`);
    return undefined;
  }

  #inside(arena: Arena, off: number, name: string, what: string): boolean {
    if (Number.isSafeInteger(off) && off >= 0 && off % PAGE_SIZE === 0 && off + PAGE_SIZE <= arena.used) return true;
    this.violations.push(`${what} at offset ${off} of RAMBlock ${JSON.stringify(name)} (used length ${arena.used})`);
    return false;
  }

  #open(info: RAMBlockInfo, used: number): { info: RAMBlockInfo; arena: Arena } {
    const index = this.#blocks.size;
    let arena = this.#arenas[index];
    const need = used + 2 * GUARD_SIZE;
    if (!arena || arena.buf.length < need) {
      arena = { buf: new Uint8Array(need), used };
      this.#arenas[index] = arena;
    }
    arena.used = used;
    arena.buf.set(PATTERN, 0);
    arena.buf.set(PATTERN, GUARD_SIZE + used);
    const b = { info, arena };
    this.#blocks.set(info.name, b);
    return b;
  }
}
