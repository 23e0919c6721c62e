import { describe, expect, it } from 'vitest';
import { BufferPool, POISON, POISON_BYTE, holdBytes, outstandingLeases } from '../src/index.js';
import { codeOf } from './helpers.js';

describe('BufferPool', () => {
  it('runs these tests in poison mode (MULTIFD_POISON=1 from vitest.config.ts)', () => {
    expect(POISON).toBe(true);
  });

  it('warm() makes buffers ready up front, up to what the pool keeps, and get() hands those out first', () => {
    const pool = new BufferPool(8192, 3).warm(5);
    expect(pool.available).toBe(3);
    const warmed = [pool.get(), pool.get(), pool.get()];
    expect(new Set(warmed).size).toBe(3);
    expect(warmed.map((b) => b.byteLength)).toEqual([8192, 8192, 8192]);
    expect(pool.available).toBe(0);
    pool.put(warmed[0]!);
    expect(pool.available).toBe(1);
  });

  it('keeps returned buffers of its size only, and no more than `keep`', () => {
    const pool = new BufferPool(4096, 1);
    const a = pool.get();
    const b = pool.get();
    pool.put(new ArrayBuffer(100));
    expect(pool.available).toBe(0);
    pool.put(a);
    pool.put(b);
    expect(pool.available).toBe(1);
  });

  it('put() poisons and detaches the buffer it takes back: a view kept by its last owner reads nothing', () => {
    const pool = new BufferPool(4096, 1);
    const view = new Uint8Array(pool.get()).fill(7);
    pool.put(view.buffer);
    expect(view.length).toBe(0);
    expect(new Uint8Array(pool.get()).every((b) => b === POISON_BYTE)).toBe(true);
  });

  it('a lent buffer comes back only when its lease and every hold on its bytes are released', () => {
    const pool = new BufferPool(4096, 4);
    const before = outstandingLeases();
    const { buffer, lease } = pool.lend();
    const bytes = new Uint8Array(buffer).fill(1);
    const held = holdBytes(bytes.subarray(100, 200));
    lease.release();
    expect(pool.available).toBe(0);
    expect(bytes[150]).toBe(1);
    held.release();
    expect(pool.available).toBe(1);
    expect(bytes.length).toBe(0); // poisoned and detached on its way back
    expect(outstandingLeases()).toBe(before);
  });

  it('refuses put() of a lent buffer that is still held, and a second release of one lease', () => {
    const pool = new BufferPool(4096);
    const { buffer, lease } = pool.lend();
    expect(codeOf(() => pool.put(buffer))).toBe('ERR_MULTIFD_STATE');
    lease.release();
    expect(codeOf(() => lease.release())).toBe('ERR_MULTIFD_STATE');
  });
});
