/**
 * An independent reading of the wire format's rejection rules
 * (wire-format.md section 6, wire-format-qemu-10.md section 1), written from
 * the documents and not from core's code. The fuzzer compares core's
 * decoders with it: both must accept the same headers, agree on every field
 * of an accepted one, and reject with a code the rules allow.
 */
import type { MultifdErrorCode } from '@multifd/core';

const MAGIC = 0x11223344;
const HEADER = 320 + 8 * 128;
const PAGE = 4096;

function be32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** A u64 as core reports it: exact below 2^53, Infinity from there on. */
function be64(b: Uint8Array, at: number): number {
  const hi = be32(b, at);
  const lo = be32(b, at + 4);
  return hi >= 0x200000 ? Number.POSITIVE_INFINITY : hi * 2 ** 32 + lo;
}

export interface RefHeader {
  flags: number;
  pagesAlloc: number;
  normalPages: number;
  zeroPages: number;
  nextPacketSize: number;
  packetNum: bigint;
  ramblock: string;
  offsets: number[];
}

export type Verdict<T> = { ok: true; value: T } | { ok: false; codes: ReadonlySet<MultifdErrorCode>; why: string };

const reject = <T>(why: string, ...codes: MultifdErrorCode[]): Verdict<T> => ({ ok: false, codes: new Set(codes), why });

/** The structural checks a receiver makes on a header before it knows anything else. */
export function refPacketHeader(b: Uint8Array): Verdict<RefHeader> {
  if (b.length < HEADER) return reject('shorter than 1344 bytes', 'ERR_MULTIFD_TRUNCATED');
  if (be32(b, 0) !== MAGIC) return reject('bad magic', 'ERR_MULTIFD_BAD_MAGIC');
  if (be32(b, 4) !== 1) return reject('bad version', 'ERR_MULTIFD_BAD_VERSION');
  const flags = be32(b, 8);
  // Known bits: SYNC (0x01) and the method field (0x0e). 0x10 (uadk) and
  // 0x40 (device state) mean something in 10.0 that this receiver cannot do.
  if ((flags & ~0x0f) !== 0) return reject(`unknown flag bits in 0x${flags.toString(16)}`, 'ERR_MULTIFD_BAD_FLAGS', 'ERR_MULTIFD_UNSUPPORTED', 'ERR_MULTIFD_UNKNOWN_METHOD');
  const pagesAlloc = be32(b, 12);
  if (pagesAlloc > 128) return reject('pages_alloc > 128', 'ERR_MULTIFD_PAGES_ALLOC');
  const normalPages = be32(b, 16);
  const zeroPages = be32(b, 32);
  if (normalPages + zeroPages > pagesAlloc) return reject('normal_pages + zero_pages > pages_alloc', 'ERR_MULTIFD_NORMAL_PAGES');
  const listed = normalPages + zeroPages;
  let ramblock = '';
  if (listed > 0) {
    let end = -1;
    for (let i = 64; i < 320; i++) {
      if (b[i] === 0) {
        end = i;
        break;
      }
    }
    if (end < 0) return reject('RAMBlock name without NUL', 'ERR_MULTIFD_BAD_RAMBLOCK_NAME');
    if (end === 64) return reject('empty RAMBlock name on a packet with pages', 'ERR_MULTIFD_BAD_RAMBLOCK_NAME');
    for (let i = 64; i < end; i++) ramblock += String.fromCharCode(b[i]!);
  }
  const offsets: number[] = [];
  for (let i = 0; i < listed; i++) offsets.push(be64(b, 320 + 8 * i));
  const packetNum = (BigInt(be32(b, 24)) << 32n) | BigInt(be32(b, 28));
  return { ok: true, value: { flags, pagesAlloc, normalPages, zeroPages, nextPacketSize: be32(b, 20), packetNum, ramblock, offsets } };
}

/** QEMU's check (offset <= used_length - 4096) plus this project's alignment rule. */
export function refOffset(offset: number, usedLength: number | undefined): Verdict<null> {
  if (usedLength === undefined) return reject('unknown RAMBlock', 'ERR_MULTIFD_UNKNOWN_RAMBLOCK');
  if (!(offset + PAGE <= usedLength)) return reject('offset past the end of its RAMBlock', 'ERR_MULTIFD_OFFSET_RANGE');
  if (offset % PAGE !== 0) return reject('unaligned offset', 'ERR_MULTIFD_OFFSET_ALIGN');
  return { ok: true, value: null };
}

export interface RefInitial {
  uuid: Uint8Array;
  id: number;
}

export function refInitialPacket(b: Uint8Array): Verdict<RefInitial> {
  if (b.length < 64) return reject('shorter than 64 bytes', 'ERR_MULTIFD_TRUNCATED');
  if (be32(b, 0) !== MAGIC) return reject('bad magic', 'ERR_MULTIFD_BAD_MAGIC');
  if (be32(b, 4) !== 1) return reject('bad version', 'ERR_MULTIFD_BAD_VERSION');
  return { ok: true, value: { uuid: b.slice(8, 24), id: b[24]! } };
}

/** The receiver's checks on a decoded initial packet; every rule that fails gives a code. */
export function refChannelCheck(p: RefInitial, expect: { channels: number; uuid: Uint8Array; seen: ReadonlySet<number> }): Verdict<null> {
  const codes: MultifdErrorCode[] = [];
  const why: string[] = [];
  let same = p.uuid.length === 16 && expect.uuid.length === 16;
  for (let i = 0; same && i < 16; i++) same = p.uuid[i] === expect.uuid[i];
  if (!same) {
    codes.push('ERR_MULTIFD_UUID_MISMATCH');
    why.push('uuid mismatch');
  }
  if (p.id >= expect.channels) {
    codes.push('ERR_MULTIFD_CHANNEL_ID');
    why.push('id out of range');
  }
  if (expect.seen.has(p.id)) {
    codes.push('ERR_MULTIFD_DUPLICATE_CHANNEL');
    why.push('duplicate id');
  }
  return codes.length === 0 ? { ok: true, value: null } : reject(why.join(', '), ...codes);
}
