/**
 * RAMBlocks as the transport's sender takes them: memory that worker threads
 * share, or a file the channel workers read as they go (any size, a window
 * of memory per channel).
 */
import * as fs from 'node:fs';
import { MultifdError, PAGE_SIZE, type BlockMemory, type RAMBlock } from '@multifd/core';

/**
 * A block in memory: `memory` backed by a SharedArrayBuffer is read in place
 * by the workers; otherwise it is copied once. A block over 4 GiB cannot be
 * one Uint8Array on Node 20: give its region of a SharedArrayBuffer
 * (core's BlockMemory) instead.
 */
export interface MemoryBlockInput {
  name: string;
  /** The block's bytes. */
  memory: Uint8Array | BlockMemory;
  /** Defaults to memory.length (must be a multiple of 4096). */
  usedLength?: number;
}

/** A block read from a file (a raw memory image) by the channel workers, in windows, with positioned reads. */
export interface FileBlockInput {
  name: string;
  file: string;
  /** Defaults to the file's size (which must be a multiple of 4096). */
  usedLength?: number;
  /** Pages rewritten since the file was written (see PageOverlay). */
  overlay?: PageOverlay;
}

/**
 * Pages of a file-backed block that changed after the file was written (a
 * simulated running guest, `send --iterations`): page i's bytes are at
 * offset i * 4096 of `file` (a sparse file) when bit i of `dirty` is set.
 * `dirty` is shared memory: the workers see each pass's changes.
 */
export interface PageOverlay {
  file: string;
  dirty: Uint8Array;
}

export type RAMBlockInput = MemoryBlockInput | FileBlockInput;

/** A block as the sender and its workers hold it. */
export type SenderBlock = { name: string; usedLength: number } & (
  | { memory: Uint8Array; file?: undefined; overlay?: undefined; region?: undefined }
  /** A block in shared memory too large for one array: its pages are viewed where they are. */
  | { region: BlockMemory; memory?: undefined; file?: undefined; overlay?: undefined }
  | { file: string; overlay?: PageOverlay; memory?: undefined; region?: undefined }
);

export function isFileBlock(b: RAMBlockInput | SenderBlock): b is FileBlockInput & { file: string } {
  return typeof (b as { file?: unknown }).file === 'string';
}

/** The sender's blocks: memory in a SharedArrayBuffer (copied when it is not), files checked and sized. */
export function senderBlocks(blocks: readonly (RAMBlockInput | SenderBlock)[]): SenderBlock[] {
  return blocks.map((b): SenderBlock => {
    if ('region' in b && b.region) return b;
    if (isFileBlock(b)) {
      let size: number;
      try {
        size = fs.statSync(b.file).size;
      } catch (e) {
        throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file: b.file });
      }
      const usedLength = b.usedLength ?? size;
      if (usedLength === 0 || usedLength % PAGE_SIZE !== 0 || usedLength > size) {
        throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `RAMBlock ${JSON.stringify(b.name)}: ${b.file} holds ${size} bytes; the used length ${usedLength} must be a positive multiple of 4096 within it`, { file: b.file });
      }
      return { name: b.name, usedLength, file: b.file, ...(b.overlay ? { overlay: b.overlay } : {}) };
    }
    const usedLength = b.usedLength ?? b.memory.length;
    if (usedLength % PAGE_SIZE !== 0 || usedLength > b.memory.length) {
      throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `RAMBlock ${JSON.stringify(b.name)}: used length ${usedLength} must be a multiple of 4096 within its ${b.memory.length} bytes`);
    }
    if (!(b.memory instanceof Uint8Array)) {
      if (!(b.memory.buffer instanceof SharedArrayBuffer)) {
        throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `RAMBlock ${JSON.stringify(b.name)}: a region (BlockMemory) must lie in a SharedArrayBuffer, which the channel workers share`);
      }
      return { name: b.name, usedLength, region: b.memory };
    }
    let memory = b.memory;
    if (!(memory.buffer instanceof SharedArrayBuffer)) {
      const shared = new Uint8Array(new SharedArrayBuffer(memory.length));
      shared.set(memory);
      memory = shared;
    }
    return { name: b.name, usedLength, memory };
  });
}

/** Blocks whose memory is SharedArrayBuffer-backed (copying those that are not). */
export function sharedBlocks(blocks: readonly MemoryBlockInput[]): RAMBlock[] {
  return senderBlocks(blocks) as RAMBlock[];
}

/** A zero-filled block in shared memory. */
export function allocateSharedBlock(name: string, bytes: number): RAMBlock {
  return { name, usedLength: bytes, memory: new Uint8Array(new SharedArrayBuffer(bytes)) };
}
