import { describe, expect, it } from 'vitest';
import { SparseBitmap } from '../src/index.js';

describe('SparseBitmap', () => {
  it('sets, tests and clears bits, counting the ones set', () => {
    const bits = new SparseBitmap();
    expect([bits.get(5), bits.count]).toEqual([false, 0]);
    expect([bits.set(5), bits.set(5), bits.get(5), bits.get(4), bits.get(6), bits.count]).toEqual([true, false, true, false, false, 1]);
    expect([bits.clear(5), bits.clear(5), bits.get(5), bits.count]).toEqual([true, false, false, 0]);
    expect(bits.clear(1_000_000)).toBe(false);
  });

  it('handles pages on both sides of a window boundary and far apart (the last page of a 16 TiB block)', () => {
    const bits = new SparseBitmap();
    const pages = [0, 32767, 32768, 65535, 2 ** 31, 2 ** 32 - 1];
    for (const p of pages) bits.set(p);
    expect(bits.count).toBe(pages.length);
    expect(pages.map((p) => bits.get(p))).toEqual(pages.map(() => true));
    expect([32766, 32769, 2 ** 32 + 1, 65536].map((p) => bits.get(p))).toEqual([false, false, false, false]);
    bits.clear(32768);
    expect([bits.get(32767), bits.get(32768), bits.count]).toEqual([true, false, pages.length - 1]);
  });
});
