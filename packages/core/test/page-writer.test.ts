import { describe, expect, it } from 'vitest';
import { PAGE_SIZE, PageWriter, Prng } from '../src/index.js';
import { codeOf } from './helpers.js';

/** `n` page views separated by guard bytes, and a check that the guards are intact. */
function guarded(n: number) {
  const buffer = new Uint8Array((2 * n + 1) * PAGE_SIZE).fill(0xa5);
  const pages = Array.from({ length: n }, (_, i) => buffer.subarray((2 * i + 1) * PAGE_SIZE, (2 * i + 2) * PAGE_SIZE));
  const guardsIntact = () => Array.from({ length: n + 1 }, (_, g) => buffer.subarray(2 * g * PAGE_SIZE, (2 * g + 1) * PAGE_SIZE).every((b) => b === 0xa5)).every(Boolean);
  return { pages, guardsIntact };
}

function data(n: number): Uint8Array {
  const out = new Uint8Array(n);
  new Prng('page-writer').fill(out);
  return out;
}

describe('PageWriter', () => {
  it('fills the pages in order from chunks of any size', () => {
    const { pages, guardsIntact } = guarded(3);
    const bytes = data(3 * PAGE_SIZE);
    const w = new PageWriter(pages);
    let at = 0;
    for (const n of [1, 4095, 5000, 3191, 1]) {
      w.write(bytes.subarray(at, at + n));
      at += n;
    }
    expect([w.written, w.remaining, w.capacity]).toEqual([3 * PAGE_SIZE, 0, 3 * PAGE_SIZE]);
    expect(codeOf(() => w.finish())).toBe('no error');
    expect(Buffer.concat(pages).equals(bytes)).toBe(true);
    expect(guardsIntact()).toBe(true);
  });

  it('refuses a chunk past its pages with ERR_MULTIFD_PAYLOAD_SIZE and writes none of it', () => {
    const { pages, guardsIntact } = guarded(2);
    const w = new PageWriter(pages);
    w.write(data(PAGE_SIZE + 100));
    expect(codeOf(() => w.write(new Uint8Array(PAGE_SIZE)))).toBe('ERR_MULTIFD_PAYLOAD_SIZE');
    expect(w.written).toBe(PAGE_SIZE + 100);
    expect(pages[1]!.subarray(100).every((b) => b === 0xa5)).toBe(true);
    expect(guardsIntact()).toBe(true);
    expect(codeOf(() => new PageWriter([]).write(new Uint8Array(1)))).toBe('ERR_MULTIFD_PAYLOAD_SIZE');
  });

  it('finish() refuses pages left short with ERR_MULTIFD_PAYLOAD_SIZE', () => {
    const w = new PageWriter(guarded(2).pages);
    w.write(new Uint8Array(PAGE_SIZE * 2 - 1));
    expect(codeOf(() => w.finish())).toBe('ERR_MULTIFD_PAYLOAD_SIZE');
    expect(codeOf(() => new PageWriter([]).finish())).toBe('no error');
  });

  it('lets a decompressor write in place through nextSpan()/advance(), never past a page', () => {
    const { pages, guardsIntact } = guarded(2);
    const w = new PageWriter(pages);
    const span = w.nextSpan()!;
    expect(span.length).toBe(PAGE_SIZE);
    span.fill(1, 0, 1000);
    w.advance(1000);
    expect(w.nextSpan()!.length).toBe(PAGE_SIZE - 1000);
    expect(codeOf(() => w.advance(PAGE_SIZE - 999))).toBe('ERR_MULTIFD_PAYLOAD_SIZE');
    w.advance(PAGE_SIZE - 1000);
    w.nextSpan()!.fill(2);
    w.advance(PAGE_SIZE);
    expect(w.nextSpan()).toBeUndefined();
    expect(codeOf(() => w.advance(1))).toBe('ERR_MULTIFD_PAYLOAD_SIZE');
    expect(codeOf(() => w.finish())).toBe('no error');
    expect([pages[0]![999], pages[0]![1000], pages[1]![PAGE_SIZE - 1]]).toEqual([1, 0xa5, 2]);
    expect(guardsIntact()).toBe(true);
  });
});
