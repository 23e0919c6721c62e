/**
 * The page/RAMBlock model. A migration moves the pages of named RAMBlocks
 * (QEMU: "pc.ram", "pc.bios", "/rom@etc/acpi/tables", ...); a page is named by
 * its block and its byte offset in the block, a multiple of 4096 below the
 * block's used length.
 */
import { PAGE_SIZE } from '../wire/constants.js';
import { MultifdError } from '../errors.js';

export interface RAMBlockInfo {
  /** QEMU's idstr, at most 255 bytes. */
  readonly name: string;
  /** Bytes of the block that migrate (QEMU's used_length), a multiple of 4096. */
  readonly usedLength: number;
}

/** A RAMBlock together with its memory (e.g. a SharedArrayBuffer view). */
export interface RAMBlock extends RAMBlockInfo {
  readonly memory: Uint8Array;
}

/** Pages in a block. */
export function pagesIn(block: RAMBlockInfo): number {
  return Math.ceil(block.usedLength / PAGE_SIZE);
}

/** The receiver's RAMBlocks by name, with QEMU's checks (plus alignment). */
export class RamBlockTable {
  readonly #byName = new Map<string, RAMBlockInfo>();

  constructor(blocks: Iterable<RAMBlockInfo> = []) {
    for (const b of blocks) this.add(b);
  }

  add(block: RAMBlockInfo): void {
    if (block.name.length === 0 || block.name.length > 255) {
      throw new MultifdError('ERR_MULTIFD_BAD_RAMBLOCK_NAME', `RAMBlock name ${JSON.stringify(block.name)} must have 1-255 bytes`);
    }
    if (this.#byName.has(block.name)) {
      throw new MultifdError('ERR_MULTIFD_BAD_RAMBLOCK_NAME', `RAMBlock ${JSON.stringify(block.name)} is listed twice`);
    }
    if (!Number.isSafeInteger(block.usedLength) || block.usedLength < 0 || block.usedLength % PAGE_SIZE !== 0) {
      throw new MultifdError('ERR_MULTIFD_TOO_LARGE', `RAMBlock ${JSON.stringify(block.name)} has used length ${block.usedLength}, not a multiple of 4096`);
    }
    this.#byName.set(block.name, block);
  }

  get size(): number {
    return this.#byName.size;
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** The block, or ERR_MULTIFD_UNKNOWN_RAMBLOCK. */
  get(name: string): RAMBlockInfo {
    const block = this.#byName.get(name);
    if (!block) throw new MultifdError('ERR_MULTIFD_UNKNOWN_RAMBLOCK', `unknown RAMBlock ${JSON.stringify(name)}`);
    return block;
  }

  list(): RAMBlockInfo[] {
    return [...this.#byName.values()];
  }

  /** Check that `offset` names a whole page inside `block`. */
  checkOffset(block: RAMBlockInfo, offset: number): void {
    checkPageOffset(block, offset);
  }
}

/** ERR_MULTIFD_OFFSET_ALIGN / ERR_MULTIFD_OFFSET_RANGE unless a whole page fits at `offset`. */
export function checkPageOffset(block: RAMBlockInfo, offset: number): void {
  // Offsets from the wire are never negative, but a negative one from a
  // caller would pass `offset + 4096 <= usedLength` and then address the
  // block's tail through subarray(): refuse it here too.
  if (!(offset >= 0 && offset + PAGE_SIZE <= block.usedLength)) {
    throw new MultifdError(
      'ERR_MULTIFD_OFFSET_RANGE',
      `offset 0x${offset.toString(16)} is past the end of RAMBlock ${JSON.stringify(block.name)} (used length 0x${block.usedLength.toString(16)})`,
    );
  }
  if (offset % PAGE_SIZE !== 0) {
    throw new MultifdError('ERR_MULTIFD_OFFSET_ALIGN', `offset 0x${offset.toString(16)} in RAMBlock ${JSON.stringify(block.name)} is not page-aligned`);
  }
}
