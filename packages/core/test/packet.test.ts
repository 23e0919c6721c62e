import { describe, expect, it } from 'vitest';
import {
  FLAG_SYNC,
  PACKET_HEADER_SIZE,
  decodePacketHeader,
  encodePacketHeader,
  flagsOfMethod,
  isSync,
  listedPages,
  methodOfFlags,
  type PacketHeaderInit,
} from '../src/index.js';
import { codeOf, errorOf } from './helpers.js';

const OFF = { magic: 0, version: 4, flags: 8, pagesAlloc: 12, normalPages: 16, zeroPages: 32, ramblock: 64, offsets: 320 };

const init: PacketHeaderInit = {
  flags: flagsOfMethod(2) | FLAG_SYNC,
  normalPages: 3,
  zeroPages: 2,
  nextPacketSize: 123_456,
  packetNum: 2n ** 40n + 5n,
  ramblock: 'pc.ram',
  offsets: [0, 4096, 5 * 8192, 2 ** 40, 65536],
};

/** A valid header with u32 fields overwritten. */
function patched(fields: Partial<Record<keyof typeof OFF, number>>, base: PacketHeaderInit = init): Uint8Array {
  const bytes = encodePacketHeader(base).slice();
  const view = new DataView(bytes.buffer);
  for (const [field, value] of Object.entries(fields)) view.setUint32(OFF[field as keyof typeof OFF], value);
  return bytes;
}

describe('packet header', () => {
  it('round-trips every field', () => {
    const bytes = encodePacketHeader(init);
    expect(bytes.length).toBe(PACKET_HEADER_SIZE);
    const decoded = decodePacketHeader(bytes);
    expect(decoded).toEqual({ ...init, pagesAlloc: 128 });
    expect([decoded.flags, typeof decoded.packetNum]).toEqual([0x5, 'bigint']);
    expect(listedPages(decodePacketHeader(bytes))).toBe(5);
  });

  it('writes the layout of the wire format (big-endian, name NUL-terminated, unused slots zero)', () => {
    const bytes = encodePacketHeader({ ...init, packetNum: 0x0102030405060708n });
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect([view.getUint32(0), view.getUint32(4), view.getUint32(8), view.getUint32(12), view.getUint32(16), view.getUint32(20)]).toEqual([
      0x11223344, 1, 5, 128, 3, 123_456,
    ]);
    expect(Buffer.from(bytes.subarray(24, 32)).toString('hex')).toBe('0102030405060708');
    expect(Buffer.from(bytes.subarray(64, 71)).toString('latin1')).toBe('pc.ram\0');
    expect(view.getBigUint64(320 + 3 * 8)).toBe(2n ** 40n);
    expect(bytes.subarray(320 + 5 * 8).every((b) => b === 0)).toBe(true);
  });

  it('ignores what is stale on a packet without pages: the name and the offsets beyond the listed pages', () => {
    const bytes = patched({ normalPages: 0, zeroPages: 0, flags: FLAG_SYNC });
    const h = decodePacketHeader(bytes);
    expect([h.ramblock, h.offsets, h.normalPages, h.nextPacketSize]).toEqual(['', [], 0, 123_456]);
    // A pages_alloc below 128 (QEMU 10.0 writes 0 on SYNC packets) is fine.
    expect(decodePacketHeader(patched({ pagesAlloc: 0, normalPages: 0, zeroPages: 0 })).pagesAlloc).toBe(0);
  });

  it('reads offsets of 2^53 and more as Infinity, never as a wrong small number', () => {
    const bytes = encodePacketHeader(init).slice();
    new DataView(bytes.buffer).setBigUint64(OFF.offsets, 2n ** 60n);
    expect(decodePacketHeader(bytes).offsets[0]).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects each malformed header of section 6 with its code', () => {
    const unterminated = encodePacketHeader(init).slice();
    unterminated.fill(0x41, OFF.ramblock, OFF.ramblock + 256);
    const cases: Record<string, [Uint8Array, string]> = {
      'bad magic': [patched({ magic: 0x11223345 }), 'ERR_MULTIFD_BAD_MAGIC'],
      'version 2': [patched({ version: 2 }), 'ERR_MULTIFD_BAD_VERSION'],
      'version 0': [patched({ version: 0 }), 'ERR_MULTIFD_BAD_VERSION'],
      'pages_alloc 129': [patched({ pagesAlloc: 129 }), 'ERR_MULTIFD_PAGES_ALLOC'],
      'pages_alloc 2^32-1': [patched({ pagesAlloc: 0xffffffff }), 'ERR_MULTIFD_PAGES_ALLOC'],
      'normal_pages 129 of 128': [patched({ normalPages: 129, zeroPages: 0 }), 'ERR_MULTIFD_NORMAL_PAGES'],
      'normal_pages 5 of pages_alloc 4': [patched({ pagesAlloc: 4, zeroPages: 0, normalPages: 5 }), 'ERR_MULTIFD_NORMAL_PAGES'],
      'normal + zero pages 100 + 29': [patched({ normalPages: 100, zeroPages: 29 }), 'ERR_MULTIFD_NORMAL_PAGES'],
      'zero_pages 2^32-1 (the sum overflows a u32)': [patched({ normalPages: 1, zeroPages: 0xffffffff }), 'ERR_MULTIFD_NORMAL_PAGES'],
      'unknown flag bit 0x100': [patched({ flags: 0x102 }), 'ERR_MULTIFD_BAD_FLAGS'],
      'unknown flag bit 0x20': [patched({ flags: 0x20 }), 'ERR_MULTIFD_BAD_FLAGS'],
      'unknown flag bit 0x80000000': [patched({ flags: 0x80000000 }), 'ERR_MULTIFD_BAD_FLAGS'],
      "QEMU 10's uadk bit 0x10": [patched({ flags: 0x10 }), 'ERR_MULTIFD_UNKNOWN_METHOD'],
      "QEMU 10's device-state bit 0x40": [patched({ flags: 0x40 }), 'ERR_MULTIFD_UNSUPPORTED'],
      'unterminated RAMBlock name': [unterminated, 'ERR_MULTIFD_BAD_RAMBLOCK_NAME'],
      'empty RAMBlock name with pages': [encodePacketHeader({ ...init, ramblock: '' }), 'ERR_MULTIFD_BAD_RAMBLOCK_NAME'],
      'empty RAMBlock name with only zero pages': [encodePacketHeader({ ...init, normalPages: 0, zeroPages: 1, offsets: [0], ramblock: '' }), 'ERR_MULTIFD_BAD_RAMBLOCK_NAME'],
      'truncated header (1343 bytes)': [encodePacketHeader(init).subarray(0, PACKET_HEADER_SIZE - 1), 'ERR_MULTIFD_TRUNCATED'],
      'no header at all': [new Uint8Array(0), 'ERR_MULTIFD_TRUNCATED'],
    };
    const got = Object.fromEntries(Object.entries(cases).map(([name, [bytes]]) => [name, codeOf(() => decodePacketHeader(bytes))]));
    expect(got).toEqual(Object.fromEntries(Object.entries(cases).map(([name, [, code]]) => [name, code])));
  });

  it('names the stream offset of the bad field', () => {
    expect(errorOf(() => decodePacketHeader(patched({ magic: 1 }), 5000)).location.byteOffset).toBe(5000);
    expect(errorOf(() => decodePacketHeader(patched({ version: 9 }), 5000)).location.byteOffset).toBe(5004);
    expect(errorOf(() => decodePacketHeader(patched({ pagesAlloc: 500 }), 5000)).location.byteOffset).toBe(5012);
  });

  it('refuses to encode what it would refuse to decode', () => {
    const cases: Record<string, [() => unknown, string]> = {
      'pages_alloc 129': [() => encodePacketHeader({ ...init, pagesAlloc: 129 }), 'ERR_MULTIFD_PAGES_ALLOC'],
      'more offsets than pages': [() => encodePacketHeader({ ...init, offsets: [...init.offsets, 0] }), 'ERR_MULTIFD_NORMAL_PAGES'],
      'more pages than pages_alloc': [() => encodePacketHeader({ ...init, pagesAlloc: 4 }), 'ERR_MULTIFD_NORMAL_PAGES'],
      'a 256-byte name': [() => encodePacketHeader({ ...init, ramblock: 'r'.repeat(256) }), 'ERR_MULTIFD_BAD_RAMBLOCK_NAME'],
      'a name outside Latin-1': [() => encodePacketHeader({ ...init, ramblock: 'pc.ram\u{1F600}' }), 'ERR_MULTIFD_BAD_RAMBLOCK_NAME'],
      'a buffer of 1343 bytes': [() => encodePacketHeader(init, new Uint8Array(PACKET_HEADER_SIZE - 1)), 'ERR_MULTIFD_TRUNCATED'],
    };
    const got = Object.fromEntries(Object.entries(cases).map(([name, [fn]]) => [name, codeOf(fn)]));
    expect(got).toEqual(Object.fromEntries(Object.entries(cases).map(([name, [, code]]) => [name, code])));
  });

  it('encodes into a given buffer, clearing what was there', () => {
    const buffer = new Uint8Array(PACKET_HEADER_SIZE + 10).fill(0xee);
    const header = encodePacketHeader({ flags: FLAG_SYNC, normalPages: 0, nextPacketSize: 0, packetNum: 1, ramblock: '', offsets: [] }, buffer);
    expect(header.buffer).toBe(buffer.buffer);
    expect(header.subarray(24 + 8).every((b) => b === 0)).toBe(true);
    expect(buffer[PACKET_HEADER_SIZE]).toBe(0xee);
  });
});

describe('flags', () => {
  it('carry SYNC in bit 0 and the method value in bits 1-3', () => {
    expect([methodOfFlags(0x5), methodOfFlags(0x1), methodOfFlags(0xe), methodOfFlags(0x2)]).toEqual([2, 0, 7, 1]);
    expect([0, 1, 2, 7].map(flagsOfMethod)).toEqual([0, 2, 4, 14]);
    expect([isSync(0x1), isSync(0x5), isSync(0x4)]).toEqual([true, true, false]);
    expect([8, -1, 1.5].map((v) => codeOf(() => flagsOfMethod(v)))).toEqual(Array(3).fill('ERR_MULTIFD_METHOD_RANGE'));
  });
});
