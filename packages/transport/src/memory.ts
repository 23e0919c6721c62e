/** RAMBlocks as the transport needs them: memory that worker threads share. */
import { MultifdError, PAGE_SIZE, type RAMBlock } from '@multifd/core';

export interface RAMBlockInput {
  name: string;
  /** The block's bytes. Backed by a SharedArrayBuffer, workers read it in place; otherwise it is copied once. */
  memory: Uint8Array;
  /** Defaults to memory.length (must be a multiple of 4096). */
  usedLength?: number;
}

/** Blocks whose memory is SharedArrayBuffer-backed (copying those that are not). */
export function sharedBlocks(blocks: readonly RAMBlockInput[]): RAMBlock[] {
  return blocks.map((b) => {
    const usedLength = b.usedLength ?? b.memory.length;
    if (usedLength % PAGE_SIZE !== 0 || usedLength > b.memory.length) {
      throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `RAMBlock ${JSON.stringify(b.name)}: used length ${usedLength} must be a multiple of 4096 within its ${b.memory.length} bytes`);
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

/** A zero-filled block in shared memory. */
export function allocateSharedBlock(name: string, bytes: number): RAMBlock {
  return { name, usedLength: bytes, memory: new Uint8Array(new SharedArrayBuffer(bytes)) };
}
