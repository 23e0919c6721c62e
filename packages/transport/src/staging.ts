/**
 * Staging memory for a relay (proxy, replay): packets decoded from the
 * incoming channels wait here, in slots of 128 pages of shared memory, until
 * an outgoing channel's worker encodes them again. The number of slots
 * bounds the relay's memory whatever the migration's size.
 */
import { MultifdError, PAGES_PER_PACKET, PAGE_SIZE } from '@multifd/core';

export const SLOT_BYTES = PAGES_PER_PACKET * PAGE_SIZE;

/** Views of the first `pages` pages of slot `slot`. */
export function slotViews(memory: Uint8Array, slot: number, pages: number): Uint8Array[] {
  const base = slot * SLOT_BYTES;
  if (pages > PAGES_PER_PACKET || base + pages * PAGE_SIZE > memory.length) {
    throw new MultifdError('ERR_MULTIFD_STATE', `staging slot ${slot} cannot hold ${pages} pages`);
  }
  return Array.from({ length: pages }, (_, i) => memory.subarray(base + i * PAGE_SIZE, base + (i + 1) * PAGE_SIZE));
}

/** A slot taken from a StagingArea: the worker that fills it and the one that sends it read `index`; release() gives it back once. */
export interface StagingSlot {
  readonly index: number;
  release(): void;
}

/** A fixed set of slots in one SharedArrayBuffer, each lent to one packet at a time. */
export class StagingArea {
  readonly memory: Uint8Array;
  readonly #free: number[];
  #waiters: Array<(slot: StagingSlot) => void> = [];

  constructor(readonly slots: number) {
    this.memory = new Uint8Array(new SharedArrayBuffer(slots * SLOT_BYTES));
    this.#free = Array.from({ length: slots }, (_, i) => i);
  }

  /** Slots in use now. */
  get inUse(): number {
    return this.slots - this.#free.length;
  }

  /** A free slot; waits while all are in use. */
  acquire(): Promise<StagingSlot> {
    const index = this.#free.pop();
    if (index !== undefined) return Promise.resolve(this.#lend(index));
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #lend(index: number): StagingSlot {
    let held = true;
    return {
      index,
      release: () => {
        if (!held) throw new MultifdError('ERR_MULTIFD_STATE', `staging slot ${index} released twice`);
        held = false;
        const waiter = this.#waiters.shift();
        if (waiter) waiter(this.#lend(index));
        else this.#free.push(index);
      },
    };
  }
}
