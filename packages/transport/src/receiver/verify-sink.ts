/**
 * A sink that checks instead of storing: every page decoded, and every zero
 * page received, must equal the same page of the migration's source (shared
 * memory, or an image file read with positioned reads). compare's round
 * trip uses it in the channel workers and on the main thread, so checking
 * an input of any size costs a packet's scratch per channel, not a second
 * copy of the input. A difference is ERR_MULTIFD_VERIFY naming the page.
 */
import { MultifdError, PAGE_SIZE, ScratchPages, isZeroRange, type PageSink, type RAMBlockInfo } from '@multifd/core';
import type { SenderBlock } from '../memory.js';
import { PageReader } from '../sender/page-reader.js';

/** Pages read from a source at once when checking zero pages. */
const ZERO_CHECK_PAGES = 256;

export class VerifySink implements PageSink {
  readonly #sources = new Map<string, { block: SenderBlock; reader: PageReader }>();
  readonly #scratch = new ScratchPages();
  /** Pages checked so far (decoded and zero). */
  pages = 0;

  constructor(sources: readonly SenderBlock[]) {
    for (const b of sources) this.#sources.set(b.name, { block: b, reader: new PageReader(b) });
  }

  /** Worker threads check their pages against the same sources. */
  workerTarget(): { kind: 'verify'; blocks: SenderBlock[] } {
    return { kind: 'verify', blocks: [...this.#sources.values()].map((s) => s.block) };
  }

  setBlocks(blocks: readonly RAMBlockInfo[]): void {
    for (const b of blocks) {
      const s = this.#sources.get(b.name);
      if (!s) throw new MultifdError('ERR_MULTIFD_VERIFY', `the migration has a RAMBlock ${JSON.stringify(b.name)} the input does not`);
      if (s.block.usedLength !== b.usedLength) {
        throw new MultifdError('ERR_MULTIFD_VERIFY', `RAMBlock ${JSON.stringify(b.name)} is ${b.usedLength} bytes in the migration, ${s.block.usedLength} in the input`);
      }
    }
  }

  pageViews(key: string, _block: RAMBlockInfo, offsets: readonly number[]): Uint8Array[] {
    return this.#scratch.views(key, offsets.length);
  }

  commitPages(key: string, block: RAMBlockInfo, offsets: readonly number[]): void {
    const scratch = this.#scratch.of(key);
    const source = this.#window(block, offsets);
    for (let i = 0; i < offsets.length; i++) {
      const got = scratch.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
      if (Buffer.compare(got, source(i)) !== 0) throw differs(block, offsets[i]!);
    }
    this.pages += offsets.length;
  }

  fillPages(block: RAMBlockInfo, offsets: readonly number[], value: number): void {
    if (value === 0) return; // zeroPages checked them already
    const source = this.#window(block, offsets);
    for (let i = 0; i < offsets.length; i++) if (!source(i).every((b) => b === value)) throw differs(block, offsets[i]!);
    this.pages += offsets.length;
  }

  zeroPages(block: RAMBlockInfo, offsets: readonly number[]): void {
    for (let at = 0; at < offsets.length; at += ZERO_CHECK_PAGES) {
      const part = offsets.slice(at, at + ZERO_CHECK_PAGES);
      const source = this.#window(block, part);
      for (let i = 0; i < part.length; i++) {
        const page = source(i);
        if (!isZeroRange(page, 0, PAGE_SIZE)) throw differs(block, part[i]!, 'a zero page');
      }
    }
    this.pages += offsets.length;
  }

  close(): void {
    for (const s of this.#sources.values()) s.reader.close();
  }

  abort(): void {
    this.close();
  }

  /** The source's pages at `offsets`, by index. */
  #window(block: RAMBlockInfo, offsets: readonly number[]): (i: number) => Uint8Array {
    const s = this.#sources.get(block.name);
    if (!s) throw new MultifdError('ERR_MULTIFD_VERIFY', `a page of RAMBlock ${JSON.stringify(block.name)}, which the input does not have`);
    const w = s.reader.window(offsets);
    return w.blockOffset ? (i) => w.memory.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE) : (i) => w.memory.subarray(offsets[i]!, offsets[i]! + PAGE_SIZE);
  }
}

function differs(block: RAMBlockInfo, offset: number, what = 'the decoded page'): MultifdError {
  return new MultifdError('ERR_MULTIFD_VERIFY', `${what} at 0x${offset.toString(16)} of RAMBlock ${JSON.stringify(block.name)} differs from the input`);
}
