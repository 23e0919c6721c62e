/**
 * The initial packet: 64 bytes, the first thing on every multifd channel.
 *
 * | offset | size | field   | value                               |
 * |-------:|-----:|---------|-------------------------------------|
 * | 0      | 4    | magic   | 0x11223344                          |
 * | 4      | 4    | version | 1                                   |
 * | 8      | 16   | uuid    | VM uuid, all zero when none was set |
 * | 24     | 1    | id      | channel id, 0 .. N-1                |
 * | 25     | 7    | unused1 | zero                                |
 * | 32     | 32   | unused2 | zero (four u64)                     |
 *
 * All integers big-endian. Unused bytes are written as zero and ignored on
 * read, as QEMU does.
 */
import { INITIAL_PACKET_SIZE, MULTIFD_MAGIC, MULTIFD_VERSION } from './constants.js';
import { ByteReader, viewOf } from './bytes.js';
import { MultifdError } from '../errors.js';
import { NIL_UUID, UUID_SIZE, formatUuid, uuidEquals } from './uuid.js';

export interface InitialPacket {
  magic: number;
  version: number;
  /** 16 bytes. */
  uuid: Uint8Array;
  /** Channel id. */
  id: number;
}

/** Encode an initial packet for channel `id`. */
export function encodeInitialPacket(init: { id: number; uuid?: Uint8Array }): Uint8Array {
  const uuid = init.uuid ?? NIL_UUID;
  if (!Number.isInteger(init.id) || init.id < 0 || init.id > 255) {
    throw new MultifdError('ERR_MULTIFD_CHANNEL_ID', `channel id ${init.id} does not fit in one byte`);
  }
  if (uuid.length !== UUID_SIZE) throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `uuid must be 16 bytes, got ${uuid.length}`);
  const out = new Uint8Array(INITIAL_PACKET_SIZE);
  const view = viewOf(out);
  view.setUint32(0, MULTIFD_MAGIC, false);
  view.setUint32(4, MULTIFD_VERSION, false);
  out.set(uuid, 8);
  out[24] = init.id;
  return out;
}

/** Decode and check magic and version of a 64-byte initial packet. */
export function decodeInitialPacket(bytes: Uint8Array, base = 0): InitialPacket {
  const r = new ByteReader(bytes, base);
  r.need(INITIAL_PACKET_SIZE, 'initial packet');
  const magic = r.u32('magic');
  if (magic !== MULTIFD_MAGIC) {
    throw new MultifdError('ERR_MULTIFD_BAD_MAGIC', `initial packet magic 0x${hex(magic)}, expected 0x11223344`, { byteOffset: base });
  }
  const version = r.u32('version');
  if (version !== MULTIFD_VERSION) {
    throw new MultifdError('ERR_MULTIFD_BAD_VERSION', `initial packet version ${version}, expected 1`, { byteOffset: base + 4 });
  }
  // A copy: slice() of a Node Buffer would be a view of the caller's (reused) memory.
  const uuid = new Uint8Array(r.take(UUID_SIZE, 'uuid'));
  const id = r.u8('id');
  return { magic, version, uuid, id };
}

/** What a receiver expects of the channels that connect to it. */
export interface ChannelExpectations {
  /** Number of channels the receiver is configured for. */
  channels: number;
  /** The receiver's VM uuid (all zero when none). */
  uuid?: Uint8Array;
  /** Ids already connected. */
  seen?: ReadonlySet<number>;
}

/** The receiver's checks on an initial packet: uuid, id range, duplicate id. */
export function checkInitialPacket(packet: InitialPacket, expect: ChannelExpectations): void {
  const uuid = expect.uuid ?? NIL_UUID;
  if (!uuidEquals(packet.uuid, uuid)) {
    throw new MultifdError(
      'ERR_MULTIFD_UUID_MISMATCH',
      `received uuid ${formatUuid(packet.uuid)}, expected ${formatUuid(uuid)}`,
      { channel: packet.id },
    );
  }
  if (packet.id >= expect.channels) {
    throw new MultifdError('ERR_MULTIFD_CHANNEL_ID', `channel id ${packet.id} is not below the channel count ${expect.channels}`, { channel: packet.id });
  }
  if (expect.seen?.has(packet.id)) {
    throw new MultifdError('ERR_MULTIFD_DUPLICATE_CHANNEL', `channel id ${packet.id} connected twice`, { channel: packet.id });
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
