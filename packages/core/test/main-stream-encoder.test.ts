import { describe, expect, it } from 'vitest';
import { MainStreamEncoder, MainStreamParser, PAGE_SIZE, type MainItem } from '../src/index.js';
import { codeOf, concat, flatZeros } from './helpers.js';

const blocks = [
  { name: 'pc.ram', usedLength: 16 * PAGE_SIZE },
  { name: 'pc.bios', usedLength: 2 * PAGE_SIZE },
];

/** Items of `bytes`, without their stream offsets. */
function parse(bytes: Uint8Array): Omit<MainItem, 'at'>[] {
  const parser = new MainStreamParser();
  const { items, consumed } = parser.parse(bytes);
  expect(consumed).toBe(bytes.length);
  parser.finish();
  return flatZeros(items).map((item) => {
    const { at: _, ...rest } = item as MainItem;
    return rest;
  }) as Omit<MainItem, 'at'>[];
}

describe('MainStreamEncoder', () => {
  it('writes what the parser reads back: blocks, ZERO and PAGE records, EOS per section, the end', () => {
    const page = new Uint8Array(PAGE_SIZE).fill(7);
    const enc = new MainStreamEncoder({ machine: 'pc-q35-7.2' });
    const parts = [enc.start(blocks)];
    enc.begin('part');
    enc.zero('pc.ram', 0);
    enc.zero('pc.ram', PAGE_SIZE);
    enc.page('pc.bios', PAGE_SIZE, page);
    enc.zero('pc.ram', 15 * PAGE_SIZE);
    enc.flush();
    parts.push(enc.endOfSection());
    enc.begin('end');
    enc.zero('pc.bios', 0);
    parts.push(enc.endOfSection(), enc.eof());
    expect(parse(concat(parts))).toEqual([
      { kind: 'configuration', machine: 'pc-q35-7.2' },
      { kind: 'ramblocks', blocks },
      { kind: 'eos', section: 'start' },
      { kind: 'zero', block: 'pc.ram', offset: 0, fill: 0 },
      { kind: 'zero', block: 'pc.ram', offset: PAGE_SIZE, fill: 0 },
      { kind: 'page', block: 'pc.bios', offset: PAGE_SIZE, data: page },
      { kind: 'zero', block: 'pc.ram', offset: 15 * PAGE_SIZE, fill: 0 },
      { kind: 'flush' },
      { kind: 'eos', section: 'part' },
      { kind: 'zero', block: 'pc.bios', offset: 0, fill: 0 },
      { kind: 'eos', section: 'end' },
      { kind: 'ram-complete' },
    ]);
  });

  it('names the block only when it changes (the CONTINUE flag)', () => {
    const enc = new MainStreamEncoder();
    enc.start(blocks);
    enc.begin('part');
    expect(enc.drain().length).toBe(1 + 4); // section type and id
    enc.zero('pc.ram', 0);
    const first = enc.drain();
    enc.zero('pc.ram', PAGE_SIZE);
    const same = enc.drain();
    enc.zero('pc.bios', 0);
    const other = enc.drain();
    expect([first.length, same.length, other.length]).toEqual([8 + 1 + 6 + 1, 8 + 1, 8 + 1 + 7 + 1]);
    expect(same[7]! & 0x20).toBe(0x20);
  });

  it('hands out bytes once they pass a threshold', () => {
    const enc = new MainStreamEncoder();
    enc.start(blocks);
    enc.begin('part');
    enc.drain();
    enc.zero('pc.ram', 0);
    expect(enc.drainIfOver(100)).toBeUndefined();
    for (let i = 1; i < 16; i++) enc.zero('pc.ram', i * PAGE_SIZE);
    expect(enc.drainIfOver(100)?.length).toBe(16 + 15 * 9);
  });

  it('refuses records outside a section, sections inside sections, bad pages and names', () => {
    const enc = new MainStreamEncoder();
    expect(codeOf(() => enc.zero('pc.ram', 0))).toBe('ERR_MULTIFD_STATE');
    expect(codeOf(() => enc.endOfSection())).toBe('ERR_MULTIFD_STATE');
    enc.start(blocks);
    enc.begin('part');
    expect(codeOf(() => enc.begin('part'))).toBe('ERR_MULTIFD_STATE');
    expect(codeOf(() => enc.page('pc.ram', 0, new Uint8Array(100)))).toBe('ERR_MULTIFD_PAYLOAD_SIZE');
    expect(codeOf(() => enc.zero('pc.ram', 100))).toBe('ERR_MULTIFD_OFFSET_ALIGN');
    expect(codeOf(() => enc.zero('', 0))).toBe('ERR_MULTIFD_BAD_RAMBLOCK_NAME');
    expect(codeOf(() => new MainStreamEncoder().start([{ name: 'x'.repeat(256), usedLength: PAGE_SIZE }]))).toBe('ERR_MULTIFD_BAD_RAMBLOCK_NAME');
  });
});
