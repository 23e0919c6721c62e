/**
 * A sink that writes each RAMBlock to `DIR/<name>.bin` ('/' in the name
 * becomes '_'), exactly the block's used length, as a sparse file: the file is
 * sized with ftruncate and only pages that arrive are written (zero pages
 * only over older data), so a 4.5 GiB block holding 3 MiB of pages costs
 * 3 MiB of writes. Runs of consecutive pages go
 * out in one positional write. Writes are synchronous, so a page written in a
 * later epoch always lands after the earlier copy.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PAGE_SIZE, PAGES_PER_PACKET } from '../wire/constants.js';
import { MultifdError } from '../errors.js';
import type { RAMBlockInfo } from '../ram/ramblock.js';
import type { PageSink } from './page-sink.js';
import { ScratchPages } from './scratch-pages.js';

interface OpenBlock {
  file: string;
  fd: number;
}

/** File name for a RAMBlock: '/' (and anything unprintable) becomes '_'. */
export function blockFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return `${name.replace(/[/\\\x00-\x1f\x7f]/g, '_')}.bin`;
}

export interface FileSinkOptions {
  /**
   * Create (truncate) each block's file (default). false: open files that
   * already exist, unchanged: a channel worker writing into the files the
   * main thread created.
   */
  create?: boolean;
  /** File name per block name (default: blockFileName). */
  files?: ReadonlyMap<string, string>;
}

export class FileSink implements PageSink {
  readonly dir: string;
  readonly #create: boolean;
  readonly #names: ReadonlyMap<string, string> | undefined;
  readonly #blocks = new Map<string, OpenBlock>();
  readonly #usedNames = new Set<string>();
  /** Block name -> file name; kept after close(), when callers ask for it. */
  readonly #files = new Map<string, string>();
  readonly #scratch = new ScratchPages();
  #zeros: Uint8Array | undefined;

  constructor(dir: string, options: FileSinkOptions = {}) {
    this.dir = dir;
    this.#create = options.create ?? true;
    this.#names = options.files;
  }

  /** Block name -> file name (relative to dir), in the order blocks appeared. */
  files(): Map<string, string> {
    return new Map(this.#files);
  }

  setBlocks(blocks: readonly RAMBlockInfo[]): void {
    for (const b of blocks) this.#open(b);
  }

  /** Worker threads open the same files (made here by setBlocks) and write their pages themselves. */
  workerTarget(blocks: readonly RAMBlockInfo[]): { kind: 'files'; dir: string; blocks: { name: string; file: string; usedLength: number }[] } {
    return { kind: 'files', dir: this.dir, blocks: [...this.#files].map(([name, file]) => ({ name, file, usedLength: blocks.find((b) => b.name === name)!.usedLength })) };
  }

  pageViews(key: string, _block: RAMBlockInfo, offsets: readonly number[]): Uint8Array[] {
    return this.#scratch.views(key, offsets.length);
  }

  commitPages(key: string, block: RAMBlockInfo, offsets: readonly number[]): void {
    const scratch = this.#scratch.of(key);
    const open = this.#open(block);
    this.#writeRuns(open, offsets, (i) => scratch.subarray(i * PAGE_SIZE));
  }

  /**
   * Write pages of `value`. The assembler only asks for zero pages that hold
   * older data: a page never written is already zero in a sparse file.
   */
  fillPages(block: RAMBlockInfo, offsets: readonly number[], value: number): void {
    const open = this.#open(block);
    if (value === 0) {
      this.#writeRuns(open, offsets, () => this.#zeroPages());
      return;
    }
    const page = new Uint8Array(PAGE_SIZE).fill(value);
    for (const off of offsets) this.#write(open, page, off);
  }

  close(lengths: ReadonlyMap<string, number>): void {
    let failure: unknown;
    for (const [name, open] of this.#blocks) {
      try {
        const length = lengths.get(name);
        if (length !== undefined) fs.ftruncateSync(open.fd, length);
        fs.closeSync(open.fd);
      } catch (e) {
        failure ??= e;
      }
    }
    this.#blocks.clear();
    if (failure) throw MultifdError.wrap(failure, 'ERR_MULTIFD_IO', { file: this.dir });
  }

  abort(): void {
    for (const open of this.#blocks.values()) {
      try {
        fs.closeSync(open.fd);
      } catch {
        // already closed: nothing to release
      }
    }
    this.#blocks.clear();
  }

  #zeroPages(): Uint8Array {
    return (this.#zeros ??= new Uint8Array(PAGES_PER_PACKET * PAGE_SIZE));
  }

  #open(block: RAMBlockInfo): OpenBlock {
    const existing = this.#blocks.get(block.name);
    if (existing) return existing;
    let file = this.#names?.get(block.name) ?? blockFileName(block.name);
    for (let n = 2; this.#usedNames.has(file); n++) file = blockFileName(`${block.name}-${n}`);
    this.#usedNames.add(file);
    this.#files.set(block.name, file);
    const full = path.join(this.dir, file);
    let fd: number;
    try {
      fd = fs.openSync(full, this.#create ? 'w+' : 'r+');
      if (this.#create && Number.isFinite(block.usedLength)) fs.ftruncateSync(fd, block.usedLength);
    } catch (e) {
      throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file: full });
    }
    const open = { file, fd };
    this.#blocks.set(block.name, open);
    return open;
  }

  /**
   * Write page i of `offsets` from `source(i)`, merging runs where both the
   * file offsets and the source bytes are consecutive.
   */
  #writeRuns(open: OpenBlock, offsets: readonly number[], source: (i: number) => Uint8Array): void {
    let i = 0;
    while (i < offsets.length) {
      const start = i;
      const src = source(i);
      while (i + 1 < offsets.length && offsets[i + 1] === offsets[i]! + PAGE_SIZE && (i + 1 - start + 1) * PAGE_SIZE <= src.length) i++;
      i++;
      this.#write(open, src.subarray(0, (i - start) * PAGE_SIZE), offsets[start]!);
    }
  }

  #write(open: OpenBlock, data: Uint8Array, position: number): void {
    try {
      let done = 0;
      while (done < data.length) done += fs.writeSync(open.fd, data, done, data.length - done, position + done);
    } catch (e) {
      throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file: path.join(this.dir, open.file) });
    }
  }
}
