import { describe, expect, it } from 'vitest';
import { RamBlockTable, checkPageOffset, pagesIn } from '../src/index.js';
import { codeOf } from './helpers.js';

const ram = { name: 'pc.ram', usedLength: 64 * 4096 };

describe('RamBlockTable', () => {
  it('holds blocks by name', () => {
    const table = new RamBlockTable([ram, { name: 'pc.bios', usedLength: 65536 }]);
    expect([table.size, table.has('pc.ram'), table.has('pc.rom')]).toEqual([2, true, false]);
    expect(table.get('pc.bios').usedLength).toBe(65536);
    expect(table.list().map((b) => b.name)).toEqual(['pc.ram', 'pc.bios']);
    expect(pagesIn(ram)).toBe(64);
  });

  it('refuses bad blocks and answers unknown names with ERR_MULTIFD_UNKNOWN_RAMBLOCK', () => {
    const table = new RamBlockTable([ram]);
    expect({
      empty: codeOf(() => table.add({ name: '', usedLength: 4096 })),
      long: codeOf(() => table.add({ name: 'x'.repeat(256), usedLength: 4096 })),
      twice: codeOf(() => table.add(ram)),
      unaligned: codeOf(() => table.add({ name: 'a', usedLength: 4097 })),
      negative: codeOf(() => table.add({ name: 'b', usedLength: -4096 })),
      infinite: codeOf(() => table.add({ name: 'c', usedLength: Number.POSITIVE_INFINITY })),
      unknown: codeOf(() => table.get('pc.rom')),
    }).toEqual({
      empty: 'ERR_MULTIFD_BAD_RAMBLOCK_NAME',
      long: 'ERR_MULTIFD_BAD_RAMBLOCK_NAME',
      twice: 'ERR_MULTIFD_BAD_RAMBLOCK_NAME',
      unaligned: 'ERR_MULTIFD_TOO_LARGE',
      negative: 'ERR_MULTIFD_TOO_LARGE',
      infinite: 'ERR_MULTIFD_TOO_LARGE',
      unknown: 'ERR_MULTIFD_UNKNOWN_RAMBLOCK',
    });
    expect(table.size).toBe(1);
  });
});

describe('checkPageOffset', () => {
  it('accepts every whole page of the block', () => {
    expect([0, 4096, ram.usedLength - 4096].map((off) => codeOf(() => checkPageOffset(ram, off)))).toEqual(Array(3).fill('no error'));
  });

  it('refuses offsets past the end (ERR_MULTIFD_OFFSET_RANGE) and unaligned ones (ERR_MULTIFD_OFFSET_ALIGN)', () => {
    const cases: Record<string, [number, string]> = {
      'the used length': [ram.usedLength, 'ERR_MULTIFD_OFFSET_RANGE'],
      'a page reaching past the end': [ram.usedLength - 2048, 'ERR_MULTIFD_OFFSET_RANGE'],
      'far beyond': [2 ** 52, 'ERR_MULTIFD_OFFSET_RANGE'],
      'an offset of 2^53 or more (read as Infinity)': [Number.POSITIVE_INFINITY, 'ERR_MULTIFD_OFFSET_RANGE'],
      'NaN': [Number.NaN, 'ERR_MULTIFD_OFFSET_RANGE'],
      'a negative page': [-4096, 'ERR_MULTIFD_OFFSET_RANGE'],
      'inside a page': [4095, 'ERR_MULTIFD_OFFSET_ALIGN'],
      'a fraction': [4096.5, 'ERR_MULTIFD_OFFSET_ALIGN'],
    };
    const got = Object.fromEntries(Object.entries(cases).map(([name, [off]]) => [name, codeOf(() => checkPageOffset(ram, off))]));
    expect(got).toEqual(Object.fromEntries(Object.entries(cases).map(([name, [, code]]) => [name, code])));
  });
});
