import { describe, expect, it } from 'vitest';
import { MainStreamEncoder, MainStreamParser, Prng, RAM_FLAG, SECTION, type MainItem, type MainStreamParserOptions } from '../src/index.js';
import { codeOf, concat, decodeReport, fixture, flatZeros, name, u32, u64, u8 } from './helpers.js';

/** Parse `chunks` one after the other, as a socket reader does; returns the items and the parser. */
function parseChunks(chunks: Iterable<Uint8Array>, options?: MainStreamParserOptions) {
  const parser = new MainStreamParser(options);
  const items: MainItem[] = [];
  let pending = new Uint8Array(0);
  for (const chunk of chunks) {
    const buf = concat([pending, chunk]);
    const { items: got, consumed } = parser.parse(buf);
    items.push(...got);
    pending = buf.slice(consumed);
  }
  return { items, parser, leftover: pending.length };
}

/** The stream's bytes in chunks of 1..max bytes. */
function* randomChunks(bytes: Uint8Array, max: number, seed: string): Generator<Uint8Array> {
  const rng = new Prng(seed);
  for (let at = 0; at < bytes.length; ) {
    const n = 1 + rng.below(max);
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

const count = (items: MainItem[], kind: MainItem['kind']) =>
  kind === 'zero' ? flatZeros(items).filter((i) => (i as MainItem).kind === 'zero').length : items.filter((i) => i.kind === kind).length;

describe('MainStreamParser on QEMU 7.2 main streams', () => {
  for (const capture of ['nocomp-2ch', 'zlib-2ch', 'zstd-2ch', 'running-zstd-2ch']) {
    describe(capture, () => {
      const bytes = fixture(`qemu-7.2/${capture}/conn0-main.bin`);
      const report = decodeReport(`qemu-7.2/${capture}`).main;

      it('finds the RAMBlocks, ZERO records and EOS records decode-report.json lists', () => {
        const { items, parser, leftover } = parseChunks([bytes]);
        const zeros = report.sections.reduce((n, s) => n + (s.ram_records?.ZERO ?? 0), 0);
        const blocks = items.find((i) => i.kind === 'ramblocks');
        expect(blocks?.kind === 'ramblocks' && Object.fromEntries(blocks.blocks.map((b) => [b.name, b.usedLength]))).toEqual(report.ramblocks_in_mem_size);
        expect({ zero: count(items, 'zero'), eos: count(items, 'eos'), page: count(items, 'page') }).toEqual({ zero: zeros, eos: report.eos_count, page: 0 });
        expect(items.find((i) => i.kind === 'configuration')).toMatchObject({ machine: report.sections[0]!.machine });
        expect([count(items, 'ram-complete'), parser.ramComplete, parser.offset, leftover]).toEqual([1, true, bytes.length, 0]);
        expect(codeOf(() => parser.finish())).toBe('no error');
      });

      it('hands long runs of zero records over in items of at most 4096 offsets (big arrays cost page faults)', () => {
        const runs = parseChunks([bytes]).items.flatMap((i) => (i.kind === 'zeros' ? [i.offsets.length] : []));
        expect(Math.max(...runs)).toBe(4096);
      });

      it('gives the same items when fed in random chunks of 1..7000 bytes', () => {
        const whole = parseChunks([bytes]).items;
        for (const seed of ['a', 'b']) expect(flatZeros(parseChunks(randomChunks(bytes, 7000, seed)).items)).toEqual(flatZeros(whole));
      });
    });
  }
});

const blocks = [
  { name: 'pc.ram', usedLength: 16 * 4096 },
  { name: 'pc.bios', usedLength: 4 * 4096 },
];
/** Header, configuration and START section of a stream with `blocks`, then a PART section opened. */
const head = () => concat([new MainStreamEncoder().start(blocks), u8(SECTION.PART), u32(2)]);
/** The code `bytes` fail with, at parse() or at finish(). */
function failure(bytes: Uint8Array, options?: MainStreamParserOptions): string {
  const parser = new MainStreamParser(options);
  return codeOf(() => {
    const { consumed } = parser.parse(bytes);
    parser.finish(bytes.length - consumed);
  });
}

describe('MainStreamParser on hostile input', () => {
  it('asks for more or fails with a MultifdError at finish, wherever the stream is cut in its first 300 bytes', () => {
    const bytes = fixture('qemu-7.2/zlib-2ch/conn0-main.bin');
    const outcomes = new Set<string>();
    for (let n = 0; n <= 300; n++) {
      const parser = new MainStreamParser();
      const { consumed } = parser.parse(bytes.subarray(0, n));
      expect(consumed).toBeLessThanOrEqual(n);
      outcomes.add(codeOf(() => parser.finish(n - consumed)));
    }
    expect([...outcomes].sort()).toEqual(['ERR_MULTIFD_INCOMPLETE', 'ERR_MULTIFD_TRUNCATED']);
  });

  it('rejects each malformed stream with its code', () => {
    const start = new MainStreamEncoder().start(blocks);
    const cases: Record<string, [Uint8Array, string, MainStreamParserOptions?]> = {
      'bad magic': [concat([u32(0x51455600), u32(3)]), 'ERR_MULTIFD_BAD_MAGIC'],
      'version 2': [concat([u32(0x5145564d), u32(2)]), 'ERR_MULTIFD_BAD_VERSION'],
      'unknown section type 0x55': [concat([start, u8(0x55)]), 'ERR_MULTIFD_MAIN_STREAM'],
      'QEMU_VM_EOF before the RAM is complete': [concat([start, u8(SECTION.EOF)]), 'ERR_MULTIFD_INCOMPLETE'],
      'unknown RAM flag 0x400': [concat([head(), u64(0x400)]), 'ERR_MULTIFD_MAIN_STREAM'],
      'ZERO and PAGE at once': [concat([head(), u64(RAM_FLAG.ZERO | RAM_FLAG.PAGE), name('pc.ram'), u8(0)]), 'ERR_MULTIFD_MAIN_STREAM'],
      'an XBZRLE record': [concat([head(), u64(RAM_FLAG.XBZRLE), name('pc.ram')]), 'ERR_MULTIFD_UNSUPPORTED'],
      'CONTINUE on the first record': [concat([head(), u64(RAM_FLAG.ZERO | RAM_FLAG.CONTINUE), u8(0)]), 'ERR_MULTIFD_MAIN_STREAM'],
      'a record for an unknown RAMBlock': [concat([head(), u64(RAM_FLAG.ZERO), name('pc.rom'), u8(0)]), 'ERR_MULTIFD_UNKNOWN_RAMBLOCK'],
      'a page past the end of its block': [concat([head(), u64(16 * 4096 + RAM_FLAG.ZERO), name('pc.ram'), u8(0)]), 'ERR_MULTIFD_OFFSET_RANGE'],
      'a PART section before any START': [concat([start.subarray(0, 26), u8(SECTION.PART), u32(2)]), 'ERR_MULTIFD_MAIN_STREAM'],
      'a RAM record before MEM_SIZE': [concat([start.subarray(0, 26 + 17), u64(RAM_FLAG.ZERO), name('pc.ram'), u8(0)]), 'ERR_MULTIFD_MAIN_STREAM'],
      'MEM_SIZE announcing 2^50 bytes': [memSize(2 ** 50, [['pc.ram', 2 ** 50]]), 'ERR_MULTIFD_TOO_LARGE'],
      'MEM_SIZE announcing 2^60 bytes (past 2^53)': [memSize(2 ** 60, []), 'ERR_MULTIFD_TOO_LARGE'],
      'MEM_SIZE past a configured limit': [memSize(2 * 2 ** 20, [['pc.ram', 2 * 2 ** 20]]), 'ERR_MULTIFD_TOO_LARGE', { maxRamBytes: 2 ** 20 }],
      'more RAMBlocks than allowed': [memSize(3 * 4096, [['a', 4096], ['b', 4096], ['c', 4096]]), 'ERR_MULTIFD_TOO_LARGE', { maxBlocks: 2 }],
      'a RAMBlock larger than MEM_SIZE': [memSize(4096, [['pc.ram', 8192]]), 'ERR_MULTIFD_MAIN_STREAM'],
      'an empty RAMBlock name': [memSize(4096, [['', 4096]]), 'ERR_MULTIFD_MAIN_STREAM'],
    };
    const got = Object.fromEntries(Object.entries(cases).map(([what, [bytes, , options]]) => [what, failure(bytes, options)]));
    expect(got).toEqual(Object.fromEntries(Object.entries(cases).map(([what, [, code]]) => [what, code])));
  });

  it('finishes an empty stream with ERR_MULTIFD_INCOMPLETE', () => {
    expect(codeOf(() => new MainStreamParser().finish())).toBe('ERR_MULTIFD_INCOMPLETE');
  });
});

/** Header, configuration and a START section whose MEM_SIZE record announces `total` and lists `list`. */
function memSize(total: number, list: [string, number][]): Uint8Array {
  const start = new MainStreamEncoder().start([]);
  // Everything before the MEM_SIZE record: header, configuration, START section header.
  const before = start.subarray(0, start.length - 8 - 8 - 5);
  return concat([before, u64(BigInt(total) + BigInt(RAM_FLAG.MEM_SIZE)), ...list.flatMap(([n, len]) => [name(n), u64(len)])]);
}
