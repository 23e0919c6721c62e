/**
 * Leases: who may still read a buffer that will be reused.
 *
 * Readers recycle their buffers (a socket's 1 MiB read buffers, a file's
 * read buffers, the framer's spill buffer): fresh memory costs page faults
 * and garbage collection on every read. A recycled buffer is *lent*: it
 * carries a count of holders, and it goes back to whoever lent it only when
 * that count falls to zero. The lender holds it while it is filled and while
 * the consumer works on the chunk it was handed; anything that keeps a view
 * of the bytes longer (a packet whose payload waits for a worker or a
 * staging slot) takes its own hold with `holdBytes(view)` and releases it
 * once it no longer reads them. Forgetting a release leaks the buffer to the
 * garbage collector; it never lets it be overwritten under a reader.
 *
 * Memory nobody recycles (a fresh allocation, Node's own socket Buffers)
 * needs no lease: `holdBytes` returns NO_LEASE for it.
 *
 * Poison mode (`MULTIFD_POISON=1`, on in the test suites): a buffer whose
 * last hold is released is filled with POISON_BYTE and detached (moved to a
 * new ArrayBuffer object) before it is reused, so a view kept without a
 * hold reads nothing, throws, or shows the pattern at its first use, instead
 * of silently reading a later packet's bytes.
 *
 * The owner table lives on globalThis under a Symbol.for key, so that two
 * copies of this package in one process (a plugin with its own
 * node_modules) still agree on who holds what. It is per thread: a buffer
 * that crosses to a worker is transferred (moved), never lent.
 */
import { MultifdError } from '../errors.js';

/** A claim on bytes that someone will reuse: release it once the bytes are no longer read. */
export interface Lease {
  /** Give the claim back. A second call throws ERR_MULTIFD_STATE. */
  release(): void;
}

/** The lease of memory nobody recycles: releasing it does nothing. */
export const NO_LEASE: Lease = Object.freeze({ release() {} });

/** What poison mode fills a recycled buffer with. */
export const POISON_BYTE = 0xdb;

/** True when MULTIFD_POISON=1 (read once, at load). */
export const POISON = typeof process !== 'undefined' && process.env['MULTIFD_POISON'] === '1';

interface Holders {
  count: number;
  readonly onFree: (buffer: ArrayBuffer) => void;
}

interface LeaseTable {
  readonly owners: WeakMap<ArrayBufferLike, Holders>;
  /** Holds taken and not yet released, for tests and leak checks. */
  outstanding: number;
}

const TABLE_KEY = Symbol.for('@multifd/core.buffer-leases');
const table: LeaseTable = ((globalThis as Record<symbol, unknown>)[TABLE_KEY] as LeaseTable | undefined) ??
  ((globalThis as Record<symbol, unknown>)[TABLE_KEY] = { owners: new WeakMap(), outstanding: 0 } satisfies LeaseTable);

class Hold implements Lease {
  #buffer: ArrayBuffer | undefined;
  readonly #holders: Holders;

  constructor(buffer: ArrayBuffer, holders: Holders) {
    this.#buffer = buffer;
    this.#holders = holders;
    holders.count++;
    table.outstanding++;
  }

  release(): void {
    const buffer = this.#buffer;
    if (buffer === undefined) throw new MultifdError('ERR_MULTIFD_STATE', 'a buffer lease was released twice');
    this.#buffer = undefined;
    table.outstanding--;
    if (--this.#holders.count === 0) recycle(buffer, this.#holders);
  }
}

/** The last hold is gone: the buffer goes back to its lender (poisoned and detached first in poison mode). */
function recycle(buffer: ArrayBuffer, holders: Holders): void {
  table.owners.delete(buffer);
  holders.onFree(POISON ? poisoned(buffer) : buffer);
}

/**
 * `buffer` filled with POISON_BYTE, moved to a new ArrayBuffer object: every
 * existing view of the old one is detached (length 0; set() on it throws).
 */
export function poisoned(buffer: ArrayBuffer): ArrayBuffer {
  new Uint8Array(buffer).fill(POISON_BYTE);
  return structuredClone(buffer, { transfer: [buffer] });
}

/**
 * Lend `buffer`: from now on it is held once, by the returned lease, and it
 * goes to `onFree` when that and every hold taken on its bytes are released.
 */
export function lendBuffer(buffer: ArrayBuffer, onFree: (buffer: ArrayBuffer) => void): Lease {
  if (table.owners.has(buffer)) throw new MultifdError('ERR_MULTIFD_STATE', 'a buffer was lent while still held');
  const holders: Holders = { count: 0, onFree };
  table.owners.set(buffer, holders);
  return new Hold(buffer, holders);
}

/** Hold the bytes of `view` for as long as they are read: a hold on its buffer when that is lent, else NO_LEASE. */
export function holdBytes(view: ArrayBufferView): Lease {
  const holders = table.owners.get(view.buffer);
  return holders ? new Hold(view.buffer as ArrayBuffer, holders) : NO_LEASE;
}

/** Hold the bytes of every view (one hold per distinct lent buffer), released together. */
export function holdAll(views: readonly ArrayBufferView[]): Lease {
  const leases: Lease[] = [];
  const seen: ArrayBufferLike[] = [];
  for (const v of views) {
    if (seen.includes(v.buffer)) continue;
    seen.push(v.buffer);
    const lease = holdBytes(v);
    if (lease !== NO_LEASE) leases.push(lease);
  }
  if (leases.length === 0) return NO_LEASE;
  if (leases.length === 1) return leases[0]!;
  let released = false;
  return {
    release() {
      if (released) throw new MultifdError('ERR_MULTIFD_STATE', 'a buffer lease was released twice');
      released = true;
      for (const l of leases) l.release();
    },
  };
}

/** True when `view` lies in a lent buffer: it must be held to be kept, and never transferred. */
export function isLent(view: ArrayBufferView): boolean {
  return table.owners.has(view.buffer);
}

/** Holds taken in this thread and not released yet (a test compares it before and after a transfer). */
export function outstandingLeases(): number {
  return table.outstanding;
}
