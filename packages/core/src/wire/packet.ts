/**
 * The multifd packet header: 1344 bytes, then the payload.
 *
 * | offset | size | field            | meaning                                                |
 * |-------:|-----:|------------------|--------------------------------------------------------|
 * | 0      | 4    | magic            | 0x11223344                                             |
 * | 4      | 4    | version          | 1                                                      |
 * | 8      | 4    | flags            | bit 0 SYNC, bits 1-3 method (see flags.ts)             |
 * | 12     | 4    | pages_alloc      | size of the offset table; QEMU writes 128 (10.0: 0 on SYNC) |
 * | 16     | 4    | normal_pages     | pages with payload                                     |
 * | 20     | 4    | next_packet_size | payload bytes (stale on packets without pages)         |
 * | 24     | 8    | packet_num       | one counter shared by all channels; not checked        |
 * | 32     | 4    | zero_pages       | 7.2: unused (zero); 10.0: all-zero pages listed        |
 * | 36     | 28   | unused           | zero                                                   |
 * | 64     | 256  | ramblock         | RAMBlock name, NUL-terminated                          |
 * | 320    | 1024 | offset[128]      | normal pages' offsets, then zero pages' offsets        |
 *
 * Big-endian. A receiver always reads 320 + 8 * 128 bytes, whatever
 * pages_alloc says. Fields beyond the listed pages, and ramblock and
 * next_packet_size on packets without pages, are stale and ignored.
 */
import {
  MULTIFD_MAGIC,
  MULTIFD_VERSION,
  PACKET_FIXED_SIZE,
  PACKET_HEADER_SIZE,
  PAGES_PER_PACKET,
  RAMBLOCK_NAME_SIZE,
} from './constants.js';
import { ByteReader, latin1, latin1Bytes, readU64, viewOf, writeU64 } from './bytes.js';
import { MultifdError } from '../errors.js';
import { checkFlags } from './flags.js';

const OFF_FLAGS = 8;
const OFF_PAGES_ALLOC = 12;
const OFF_NORMAL_PAGES = 16;
const OFF_NEXT_PACKET_SIZE = 20;
const OFF_PACKET_NUM = 24;
const OFF_ZERO_PAGES = 32;
const OFF_RAMBLOCK = 64;

export interface PacketHeader {
  flags: number;
  pagesAlloc: number;
  normalPages: number;
  /** All-zero pages listed after the normal ones (QEMU 10.0; always 0 from 7.2). */
  zeroPages: number;
  /** Payload length as written by the sender; meaningful only with normal pages. */
  nextPacketSize: number;
  packetNum: bigint;
  /** RAMBlock name; '' when the packet lists no pages (the field is stale then). */
  ramblock: string;
  /** normalPages offsets, then zeroPages offsets. Offsets >= 2^53 read as Infinity. */
  offsets: number[];
}

export interface PacketHeaderInit {
  flags: number;
  pagesAlloc?: number;
  normalPages: number;
  zeroPages?: number;
  nextPacketSize: number;
  packetNum: bigint | number;
  ramblock: string;
  offsets: readonly number[];
}

/** Pages a packet lists (normal + zero). */
export function listedPages(header: Pick<PacketHeader, 'normalPages' | 'zeroPages'>): number {
  return header.normalPages + header.zeroPages;
}

/**
 * Encode a packet header into `out` (1344 bytes, zero-filled first) or a new
 * buffer. Unused fields and offset slots are written as zero.
 */
export function encodePacketHeader(init: PacketHeaderInit, out: Uint8Array = new Uint8Array(PACKET_HEADER_SIZE)): Uint8Array {
  if (out.length < PACKET_HEADER_SIZE) {
    throw new MultifdError('ERR_MULTIFD_TRUNCATED', `header buffer of ${out.length} bytes, need ${PACKET_HEADER_SIZE}`);
  }
  const pagesAlloc = init.pagesAlloc ?? PAGES_PER_PACKET;
  const zeroPages = init.zeroPages ?? 0;
  if (pagesAlloc > PAGES_PER_PACKET) {
    throw new MultifdError('ERR_MULTIFD_PAGES_ALLOC', `pages_alloc ${pagesAlloc} exceeds ${PAGES_PER_PACKET}`);
  }
  if (init.normalPages + zeroPages > pagesAlloc || init.offsets.length !== init.normalPages + zeroPages) {
    throw new MultifdError(
      'ERR_MULTIFD_NORMAL_PAGES',
      `${init.normalPages} normal + ${zeroPages} zero pages with ${init.offsets.length} offsets do not fit pages_alloc ${pagesAlloc}`,
    );
  }
  const name = latin1Bytes(init.ramblock);
  if (name.length >= RAMBLOCK_NAME_SIZE) {
    throw new MultifdError('ERR_MULTIFD_BAD_RAMBLOCK_NAME', `RAMBlock name of ${name.length} bytes does not fit in 255`);
  }
  const header = out.subarray(0, PACKET_HEADER_SIZE);
  header.fill(0);
  const view = viewOf(header);
  view.setUint32(0, MULTIFD_MAGIC, false);
  view.setUint32(4, MULTIFD_VERSION, false);
  view.setUint32(OFF_FLAGS, init.flags >>> 0, false);
  view.setUint32(OFF_PAGES_ALLOC, pagesAlloc, false);
  view.setUint32(OFF_NORMAL_PAGES, init.normalPages, false);
  view.setUint32(OFF_NEXT_PACKET_SIZE, init.nextPacketSize >>> 0, false);
  view.setBigUint64(OFF_PACKET_NUM, BigInt.asUintN(64, BigInt(init.packetNum)), false);
  view.setUint32(OFF_ZERO_PAGES, zeroPages, false);
  header.set(name, OFF_RAMBLOCK);
  for (let i = 0; i < init.offsets.length; i++) writeU64(view, PACKET_FIXED_SIZE + 8 * i, init.offsets[i]!);
  return header;
}

/**
 * Decode a 1344-byte header, with every structural check a receiver makes
 * before allocating anything: magic, version, flags, pages_alloc <= 128,
 * normal_pages + zero_pages <= pages_alloc, a NUL-terminated RAMBlock name.
 * RAMBlock and offset checks need the receiver's RAMBlocks: see RamBlockTable.
 * `base` is the header's byte offset in its stream, for error messages.
 */
export function decodePacketHeader(bytes: Uint8Array, base = 0): PacketHeader {
  const r = new ByteReader(bytes, base);
  r.need(PACKET_HEADER_SIZE, 'packet header');
  const view = r.view;
  const magic = view.getUint32(0, false);
  if (magic !== MULTIFD_MAGIC) {
    throw new MultifdError('ERR_MULTIFD_BAD_MAGIC', `packet magic 0x${magic.toString(16).padStart(8, '0')}, expected 0x11223344`, { byteOffset: base });
  }
  const version = view.getUint32(4, false);
  if (version !== MULTIFD_VERSION) {
    throw new MultifdError('ERR_MULTIFD_BAD_VERSION', `packet version ${version}, expected 1`, { byteOffset: base + 4 });
  }
  const flags = view.getUint32(OFF_FLAGS, false);
  try {
    checkFlags(flags);
  } catch (e) {
    throw MultifdError.wrap(e, 'ERR_MULTIFD_BAD_FLAGS', { byteOffset: base + OFF_FLAGS });
  }
  const pagesAlloc = view.getUint32(OFF_PAGES_ALLOC, false);
  if (pagesAlloc > PAGES_PER_PACKET) {
    throw new MultifdError('ERR_MULTIFD_PAGES_ALLOC', `pages_alloc ${pagesAlloc} exceeds ${PAGES_PER_PACKET}`, { byteOffset: base + OFF_PAGES_ALLOC });
  }
  const normalPages = view.getUint32(OFF_NORMAL_PAGES, false);
  const zeroPages = view.getUint32(OFF_ZERO_PAGES, false);
  // Compare separately first so a huge u32 cannot overflow the sum's meaning.
  if (normalPages > pagesAlloc || zeroPages > pagesAlloc || normalPages + zeroPages > pagesAlloc) {
    throw new MultifdError(
      'ERR_MULTIFD_NORMAL_PAGES',
      `normal_pages ${normalPages} + zero_pages ${zeroPages} exceed pages_alloc ${pagesAlloc}`,
      { byteOffset: base + OFF_NORMAL_PAGES },
    );
  }
  const listed = normalPages + zeroPages;
  let ramblock = '';
  if (listed > 0) ramblock = readName(bytes.subarray(OFF_RAMBLOCK, OFF_RAMBLOCK + RAMBLOCK_NAME_SIZE), base + OFF_RAMBLOCK);
  const offsets = new Array<number>(listed);
  for (let i = 0; i < listed; i++) offsets[i] = readU64(view, PACKET_FIXED_SIZE + 8 * i);
  return {
    flags,
    pagesAlloc,
    normalPages,
    zeroPages,
    nextPacketSize: view.getUint32(OFF_NEXT_PACKET_SIZE, false),
    packetNum: view.getBigUint64(OFF_PACKET_NUM, false),
    ramblock,
    offsets,
  };
}

function readName(field: Uint8Array, at: number): string {
  const end = field.indexOf(0);
  if (end < 0) throw new MultifdError('ERR_MULTIFD_BAD_RAMBLOCK_NAME', 'RAMBlock name is not NUL-terminated', { byteOffset: at });
  if (end === 0) throw new MultifdError('ERR_MULTIFD_BAD_RAMBLOCK_NAME', 'RAMBlock name is empty on a packet with pages', { byteOffset: at });
  return latin1(field.subarray(0, end));
}
