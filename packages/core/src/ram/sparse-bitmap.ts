/**
 * One bit per page, allocated in 128 MiB windows as pages are touched, so a
 * 16 TiB RAMBlock with a few pages written costs a few KiB, not 512 MiB.
 */
const WINDOW_PAGES = 32768;

export class SparseBitmap {
  readonly #windows = new Map<number, Uint8Array>();
  #count = 0;
  /** The window used last: pages come in runs, so most lookups hit it. */
  #lastKey = Number.NaN; // matches no key until a window is used
  #last: Uint8Array | undefined;

  /** Pages set. */
  get count(): number {
    return this.#count;
  }

  /** The window of `page`, created when `create` (else undefined when never touched). */
  #window(page: number, create: boolean): Uint8Array | undefined {
    const key = Math.floor(page / WINDOW_PAGES);
    if (key === this.#lastKey) return this.#last;
    let w = this.#windows.get(key);
    if (!w) {
      if (!create) return undefined;
      this.#windows.set(key, (w = new Uint8Array(WINDOW_PAGES / 8)));
    }
    this.#lastKey = key;
    this.#last = w;
    return w;
  }

  get(page: number): boolean {
    const w = this.#window(page, false);
    if (!w) return false;
    const i = page % WINDOW_PAGES;
    return (w[i >>> 3]! & (1 << (i & 7))) !== 0;
  }

  /** Set a bit; returns true when it was clear. */
  set(page: number): boolean {
    const w = this.#window(page, true)!;
    const i = page % WINDOW_PAGES;
    const mask = 1 << (i & 7);
    if (w[i >>> 3]! & mask) return false;
    w[i >>> 3]! |= mask;
    this.#count++;
    return true;
  }

  /** Clear a bit; returns true when it was set. */
  clear(page: number): boolean {
    const w = this.#window(page, false);
    if (!w) return false;
    const i = page % WINDOW_PAGES;
    const mask = 1 << (i & 7);
    if (!(w[i >>> 3]! & mask)) return false;
    w[i >>> 3]! &= ~mask;
    this.#count--;
    return true;
  }
}
