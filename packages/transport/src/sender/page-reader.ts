/**
 * A send worker's view of a block's pages for one scan step. A block in
 * shared memory is read in place (one too large for a single array, a
 * region, through views of the step's pages). A file-backed block is read as it goes:
 * the step's pages are copied into a window buffer of this worker with
 * positioned reads (pread), so a block of any size costs one window (a scan
 * step, 4 MiB by default) of memory per channel; pages marked in the
 * block's overlay are read from the overlay file instead.
 */
import * as fs from 'node:fs';
import { MultifdError, PAGE_SIZE, blockView, type ScanPages } from '@multifd/core';
import type { SenderBlock } from '../memory.js';

/** The pages of a step as sendScan reads them: `memory`, the pages of it, and the block offset of each. */
export interface PageWindow {
  memory: Uint8Array;
  pages: ScanPages;
  /** Block offset of the page at `offset` of `memory`; absent when `memory` is the block itself. */
  blockOffset?: (offset: number) => number;
}

export class PageReader {
  readonly #block: SenderBlock;
  #fd: number | undefined;
  #overlayFd: number | undefined;
  #window = new Uint8Array(0);

  constructor(block: SenderBlock) {
    this.#block = block;
  }

  /** The pages of one step (a contiguous run, or explicit offsets in order). */
  window(pages: ScanPages): PageWindow {
    const b = this.#block;
    if (b.memory) return { memory: b.memory, pages };
    if (b.region && !Array.isArray(pages)) {
      // A contiguous run of a large in-memory block: viewed in place.
      const { start, count } = pages as { start: number; count: number };
      return { memory: blockView(b.region, start, count * PAGE_SIZE), pages: { start: 0, count }, blockOffset: (off) => start + off };
    }
    if (!Array.isArray(pages)) {
      const { start, count } = pages as { start: number; count: number };
      const memory = this.#buffer(count * PAGE_SIZE);
      this.#read(memory, start);
      this.#applyOverlay(memory, (i) => start + i * PAGE_SIZE, count);
      return { memory, pages: { start: 0, count }, blockOffset: (off) => start + off };
    }
    const offsets = pages as readonly number[];
    const memory = this.#buffer(offsets.length * PAGE_SIZE);
    // Runs of consecutive pages in one read each.
    for (let i = 0; i < offsets.length; ) {
      let j = i + 1;
      while (j < offsets.length && offsets[j] === offsets[j - 1]! + PAGE_SIZE) j++;
      this.#read(memory.subarray(i * PAGE_SIZE, j * PAGE_SIZE), offsets[i]!);
      i = j;
    }
    this.#applyOverlay(memory, (i) => offsets[i]!, offsets.length);
    return { memory, pages: { start: 0, count: offsets.length }, blockOffset: (off) => offsets[off / PAGE_SIZE]! };
  }

  close(): void {
    for (const fd of [this.#fd, this.#overlayFd]) if (fd !== undefined) fs.closeSync(fd);
    this.#fd = this.#overlayFd = undefined;
  }

  #buffer(bytes: number): Uint8Array {
    if (this.#window.length < bytes) this.#window = new Uint8Array(bytes);
    return this.#window.subarray(0, bytes);
  }

  #read(into: Uint8Array, position: number, file = this.#block.file!, overlay = false): void {
    const region = this.#block.region;
    if (region) {
      into.set(blockView(region, position, into.length));
      return;
    }
    const fd = overlay ? (this.#overlayFd ??= open(file)) : (this.#fd ??= open(file));
    for (let done = 0; done < into.length; ) {
      let n: number;
      try {
        n = fs.readSync(fd, into, done, into.length - done, position + done);
      } catch (e) {
        throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file, byteOffset: position + done });
      }
      if (n === 0) throw new MultifdError('ERR_MULTIFD_TRUNCATED', `${file} ends at byte ${position + done}, inside RAMBlock ${JSON.stringify(this.#block.name)} (did it shrink?)`, { file });
      done += n;
    }
  }

  /** Pages of the window marked dirty: their bytes come from the overlay file. */
  #applyOverlay(memory: Uint8Array, offsetOf: (i: number) => number, count: number): void {
    const o = this.#block.overlay;
    if (!o) return;
    for (let i = 0; i < count; i++) {
      const page = offsetOf(i) / PAGE_SIZE;
      if (o.dirty[page >> 3]! & (1 << (page & 7))) this.#read(memory.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE), page * PAGE_SIZE, o.file, true);
    }
  }
}

function open(file: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch (e) {
    throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file });
  }
}
