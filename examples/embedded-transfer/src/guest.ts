/**
 * A stand-in for a running VM: it keeps writing into its memory on a timer
 * and remembers which pages it wrote, as KVM's dirty log does for QEMU.
 */
import { PAGE_SIZE } from '@multifd/core';

export class Guest {
  readonly #memory: Uint8Array;
  readonly #dirty = new Set<number>();
  #timer: NodeJS.Timeout | undefined;
  #writes = 0;

  constructor(memory: Uint8Array) {
    this.#memory = memory;
  }

  /** Write `pagesPerTick` pages every 2 ms: a counter somewhere in each, or (one write in 16) the whole page zeroed. */
  start(pagesPerTick = 4): void {
    const pages = this.#memory.length / PAGE_SIZE;
    const view = new DataView(this.#memory.buffer, this.#memory.byteOffset, this.#memory.byteLength);
    this.#timer = setInterval(() => {
      for (let i = 0; i < pagesPerTick; i++) {
        const offset = Math.floor(Math.random() * pages) * PAGE_SIZE;
        if (++this.#writes % 16 === 0) this.#memory.fill(0, offset, offset + PAGE_SIZE);
        else view.setUint32(offset + 4 * Math.floor(Math.random() * (PAGE_SIZE / 4)), this.#writes);
        this.#dirty.add(offset);
      }
    }, 2);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Offsets of the pages written since the last call: what the next pass must send again. */
  takeDirty(): number[] {
    const offsets = [...this.#dirty].sort((a, b) => a - b);
    this.#dirty.clear();
    return offsets;
  }
}
