import { describe, expect, it } from 'vitest';
import {
  INITIAL_PACKET_SIZE,
  NIL_UUID,
  checkInitialPacket,
  decodeInitialPacket,
  encodeInitialPacket,
  formatUuid,
  parseUuid,
  uuidEquals,
} from '../src/index.js';
import { codeOf, errorOf } from './helpers.js';

const UUID = '11111111-2222-3333-4444-555555555555';

describe('initial packet', () => {
  it('round-trips the uuid and id in the 64-byte layout', () => {
    const bytes = encodeInitialPacket({ id: 7, uuid: parseUuid(UUID) });
    expect(bytes.length).toBe(INITIAL_PACKET_SIZE);
    expect(Buffer.from(bytes.subarray(0, 8)).toString('hex')).toBe('1122334400000001');
    expect(Buffer.from(bytes.subarray(8, 24)).toString('hex')).toBe(UUID.replace(/-/g, ''));
    expect(bytes[24]).toBe(7);
    expect(bytes.subarray(25).every((b) => b === 0)).toBe(true);
    const packet = decodeInitialPacket(bytes);
    expect([packet.id, formatUuid(packet.uuid), packet.magic, packet.version]).toEqual([7, UUID, 0x11223344, 1]);
    expect(decodeInitialPacket(encodeInitialPacket({ id: 0 })).uuid).toEqual(NIL_UUID);
  });

  it('rejects bad magic, bad version and a short packet', () => {
    const bad = (at: number, value: number) => {
      const bytes = encodeInitialPacket({ id: 1 });
      new DataView(bytes.buffer).setUint32(at, value);
      return bytes;
    };
    expect(codeOf(() => decodeInitialPacket(bad(0, 0x5145564d)))).toBe('ERR_MULTIFD_BAD_MAGIC');
    expect(codeOf(() => decodeInitialPacket(bad(4, 2)))).toBe('ERR_MULTIFD_BAD_VERSION');
    expect(codeOf(() => decodeInitialPacket(encodeInitialPacket({ id: 1 }).subarray(0, 63)))).toBe('ERR_MULTIFD_TRUNCATED');
    expect(errorOf(() => decodeInitialPacket(bad(4, 2), 100)).location.byteOffset).toBe(104);
  });

  it('refuses to encode an id outside one byte or a uuid that is not 16 bytes', () => {
    expect([256, -1, 1.5].map((id) => codeOf(() => encodeInitialPacket({ id })))).toEqual(Array(3).fill('ERR_MULTIFD_CHANNEL_ID'));
    expect(codeOf(() => encodeInitialPacket({ id: 0, uuid: new Uint8Array(15) }))).toBe('ERR_MULTIFD_BAD_OPTION');
  });

  it("checkInitialPacket: the receiver's uuid, id below the channel count, no id twice", () => {
    const packet = (id: number, uuid = UUID) => decodeInitialPacket(encodeInitialPacket({ id, uuid: parseUuid(uuid) }));
    const expectations = { channels: 2, uuid: parseUuid(UUID), seen: new Set([0]) };
    expect(codeOf(() => checkInitialPacket(packet(1), expectations))).toBe('no error');
    expect(codeOf(() => checkInitialPacket(packet(1, '11111111-2222-3333-4444-555555555556'), expectations))).toBe('ERR_MULTIFD_UUID_MISMATCH');
    expect(codeOf(() => checkInitialPacket(packet(1), { channels: 2 }))).toBe('ERR_MULTIFD_UUID_MISMATCH'); // the receiver has no uuid
    expect(codeOf(() => checkInitialPacket(packet(2), expectations))).toBe('ERR_MULTIFD_CHANNEL_ID');
    expect(codeOf(() => checkInitialPacket(packet(255), expectations))).toBe('ERR_MULTIFD_CHANNEL_ID');
    expect(codeOf(() => checkInitialPacket(packet(0), expectations))).toBe('ERR_MULTIFD_DUPLICATE_CHANNEL');
    expect(errorOf(() => checkInitialPacket(packet(0), expectations)).location.channel).toBe(0);
  });
});

describe('uuid', () => {
  it('parses with or without dashes, formats lower-case, refuses anything else', () => {
    expect(formatUuid(parseUuid(UUID.toUpperCase().replace(/-/g, '')))).toBe(UUID);
    expect(uuidEquals(parseUuid(UUID), parseUuid(UUID))).toBe(true);
    expect(uuidEquals(parseUuid(UUID), NIL_UUID)).toBe(false);
    expect(uuidEquals(NIL_UUID, new Uint8Array(15))).toBe(false);
    expect(['', 'xyz', `${UUID}0`, UUID.replace('1', 'g')].map((t) => codeOf(() => parseUuid(t)))).toEqual(Array(4).fill('ERR_MULTIFD_BAD_OPTION'));
  });
});
