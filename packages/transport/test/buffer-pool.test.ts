import { describe, expect, it } from 'vitest';
import { BufferPool } from '../src/buffer-pool.js';

describe('BufferPool', () => {
  it('warm() makes buffers ready up front, up to what the pool keeps, and get() hands those out first', () => {
    const pool = new BufferPool(8192, 3).warm(5);
    expect(pool.available).toBe(3);
    const warmed = [pool.get(), pool.get(), pool.get()];
    expect(new Set(warmed).size).toBe(3);
    expect(warmed.map((b) => b.byteLength)).toEqual([8192, 8192, 8192]);
    pool.put(warmed[0]!);
    expect(pool.get()).toBe(warmed[0]);
  });

  it('keeps returned buffers of its size only, and no more than `keep`', () => {
    const pool = new BufferPool(4096, 1);
    const a = pool.get();
    const b = pool.get();
    pool.put(new ArrayBuffer(100));
    pool.put(a);
    pool.put(b);
    expect(pool.get()).toBe(a);
    expect(pool.get()).not.toBe(b);
  });
});
