import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BENCH_MIX, guestRanges, mixedPages, pcRamOffset, placeCopies, writeBlobFile } from '../src/index.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

describe('mixedPages', () => {
  it('is deterministic per seed and follows the mix', () => {
    const a = mixedPages(4 * MIB, 'bench-1');
    const b = mixedPages(4 * MIB, 'bench-1');
    const c = mixedPages(4 * MIB, 'bench-2');
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.bytes.equals(c.bytes)).toBe(false);
    const pages = 1024;
    expect(Object.values(a.counts).reduce((s, n) => s + n, 0)).toBe(pages);
    for (const [kind, weight] of Object.entries(BENCH_MIX)) {
      expect(Math.abs(a.counts[kind as keyof typeof a.counts] / pages - weight! / 100)).toBeLessThan(0.05);
    }
  });

  it('makes all-zero pages exactly for the zero kind', () => {
    const { bytes, counts } = mixedPages(2 * MIB, 'zeros');
    let zero = 0;
    for (let at = 0; at < bytes.length; at += 4096) if (bytes.subarray(at, at + 4096).every((b) => b === 0)) zero++;
    expect(zero).toBe(counts.zero);
  });

  it('honours a custom mix and refuses a partial page', () => {
    expect(mixedPages(64 * 4096, 's', { text: 1 }).counts.text).toBe(64);
    expect(() => mixedPages(100, 's')).toThrow(RangeError);
  });
});

describe('blob placement', () => {
  it('writes a blob file and places copies', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'blob-')), 'sub', 'b.bin');
    const bytes = mixedPages(64 * 1024, 'w').bytes;
    expect(await writeBlobFile(file, bytes, 0x100000)).toEqual({ file, addr: 0x100000, size: bytes.length });
    expect(createHash('sha256').update(fs.readFileSync(file)).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
    fs.rmSync(path.dirname(path.dirname(file)), { recursive: true });

    const copies = placeCopies('/b.bin', 64 * MIB, { base: 0x8000000, count: 8 });
    expect(copies.map((c) => c.addr)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => 0x8000000 + i * 64 * MIB));
    expect(guestRanges(copies)).toEqual([{ start: 0x8000000, end: 0x8000000 + 512 * MIB }]);
  });

  it('merges touching and overlapping ranges, keeps gaps', () => {
    const ranges = guestRanges([
      { file: 'a', addr: 0x300000, size: 0x100000 },
      { file: 'b', addr: 0x100000, size: 0x100000 },
      { file: 'c', addr: 0x180000, size: 0x100000 },
    ]);
    expect(ranges).toEqual([
      { start: 0x100000, end: 0x280000 },
      { start: 0x300000, end: 0x400000 },
    ]);
  });

  it('maps guest-physical addresses to pc.ram offsets', () => {
    expect(pcRamOffset(0x100000, 64 * MIB)).toBe(0x100000);
    expect(pcRamOffset(64 * MIB, 64 * MIB)).toBeUndefined();
    expect(pcRamOffset(3 * GIB, 8 * GIB)).toBeUndefined(); // the PCI hole
    expect(pcRamOffset(4 * GIB, 8 * GIB)).toBe(3 * GIB);
    expect(pcRamOffset(3.2 * GIB, 3.25 * GIB)).toBe(3.2 * GIB);
  });
});
