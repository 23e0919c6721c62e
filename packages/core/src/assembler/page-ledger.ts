/**
 * What the assembler knows of every page it applied: which pages arrived
 * (for the report's "missing"), which hold non-zero data now (a later zero
 * page must overwrite those, and only those: a fresh sink is all zero), and
 * how far each block reaches (its length when no main stream said it).
 */
import { PAGE_SIZE } from '../wire/constants.js';
import { SparseBitmap } from '../ram/sparse-bitmap.js';

export class PageLedger {
  readonly #seen = new Map<string, SparseBitmap>();
  /** Pages last written with non-zero data. */
  readonly #dirty = new Map<string, SparseBitmap>();
  readonly #ends = new Map<string, number>();
  /** Pages applied so far (re-sends counted). */
  applied = 0;

  /** `offsets` of `block` arrived, holding non-zero data or not. */
  mark(block: string, offsets: readonly number[], nonZero: boolean): void {
    let seen = this.#seen.get(block);
    if (!seen) this.#seen.set(block, (seen = new SparseBitmap()));
    if (nonZero) {
      let dirty = this.#dirty.get(block);
      if (!dirty) this.#dirty.set(block, (dirty = new SparseBitmap()));
      for (const off of offsets) dirty.set(off / PAGE_SIZE);
    }
    let end = this.#ends.get(block) ?? 0;
    for (const off of offsets) {
      seen.set(off / PAGE_SIZE);
      if (off + PAGE_SIZE > end) end = off + PAGE_SIZE;
    }
    this.#ends.set(block, end);
    this.applied += offsets.length;
  }

  /** Of zero pages `offsets`, those that hold older data (and now will not), to be overwritten. */
  staleZeroPages(block: string, offsets: readonly number[]): number[] {
    const dirty = this.#dirty.get(block);
    return dirty ? offsets.filter((off) => dirty.clear(off / PAGE_SIZE)) : [];
  }

  /** Distinct pages of `block` that arrived. */
  pages(block: string): number {
    return this.#seen.get(block)?.count ?? 0;
  }

  /** The end of the highest page of `block` that arrived (0 for none). */
  end(block: string): number {
    return this.#ends.get(block) ?? 0;
  }
}
