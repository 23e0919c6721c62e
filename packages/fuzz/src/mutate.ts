/**
 * Mutators for whole migrations. Each takes a Case and an Rng, changes the
 * case, and returns a note saying what it did (or undefined when it does not
 * apply to this case, and then changed nothing). A mutator that knows the
 * receiver's duty for its change sets `c.expect` (the runner keeps it only
 * when that mutator was the only one applied):
 *
 * - mustFail: section 6 of the wire format says reject (bad magic, pages_alloc
 *   > 128, offset past the block, uuid mismatch, a channel cut mid-frame, a
 *   bomb, a missing SYNC, ...).
 * - mustSucceed: a field the receiver must ignore (stale fields of a SYNC
 *   packet, packet_num, unused bytes, nocomp's next_packet_size, page bytes
 *   of nocomp), a valid relabelling, or no change at all.
 * - loss: pages that nothing else delivers were removed; a success must say so.
 */
import { MULTIFD_MAGIC, PACKET_HEADER_SIZE, PAGE_SIZE, QEVM_MAGIC, QEVM_VERSION, maxCompressedPayload, methodOfFlags } from '@multifd/core';
import { ownHeader, ownInit, ownMain, uniquePages, type Case, type ChannelCase, type PacketCase } from './case.js';
import { refOffset, refPacketHeader } from './reference.js';
import { INTERESTING_U32, INTERESTING_U8, type Rng } from './rng.js';

/** What mutators know about the codec under test. */
export interface CodecTraits {
  /** Method value. */
  value: number;
  /** nocomp: payload length from normal_pages; else next_packet_size. */
  compressed: boolean;
  /** A payload starting a fresh stream that decodes to 1024 zero pages (compressed codecs). */
  startBomb?: Uint8Array;
  /** A valid payload tail that decodes to nothing (zlib: an empty stored block), if the codec has one. */
  emptyFlush?: Uint8Array;
  /**
   * A cut of exactly this many bytes may leave a complete payload (zlib: the
   * sync flush's empty stored block, when it starts on a byte boundary: what
   * is left decodes to every page and ends between two blocks).
   */
  harmlessCut?: number;
}

export type Mutator = (c: Case, r: Rng, t: CodecTraits) => string | undefined;

// ---- byte helpers -----------------------------------------------------------

export function getU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

export function setU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** Write a u64 given as a bigint (any value mod 2^64). */
export function setU64(b: Uint8Array, at: number, v: bigint): void {
  const x = BigInt.asUintN(64, v);
  setU32(b, at, Number(x >> 32n));
  setU32(b, at + 4, Number(x & 0xffffffffn));
}

const H_FLAGS = 8;
const H_PAGES_ALLOC = 12;
const H_NORMAL = 16;
const H_NEXT_SIZE = 20;
const H_PACKET_NUM = 24;
const H_ZERO = 32;
const H_RAMBLOCK = 64;
const H_OFFSETS = 320;

function flipBits(b: Uint8Array, r: Rng, count: number): number[] {
  const at: number[] = [];
  for (let i = 0; i < count; i++) {
    const bit = r.below(b.length * 8);
    b[bit >>> 3]! ^= 1 << (bit & 7);
    at.push(bit >>> 3);
  }
  return at;
}

// ---- what a receiver must do with a packet ----------------------------------

function blockLimit(c: Case, name: string): number | undefined {
  if (!c.useMain) return c.unknownBlockBytes;
  return c.seed.blocks.find((b) => b.name === name)?.usedLength;
}

/**
 * Why the receiver must refuse this packet header, if it must: the
 * reference checks, the method, the payload bound and the page offsets.
 */
export function packetMustFail(c: Case, header: Uint8Array, t: CodecTraits): string | undefined {
  const v = refPacketHeader(header);
  if (!v.ok) return v.why;
  const h = v.value;
  if (h.normalPages > 0 && c.method !== undefined && methodOfFlags(h.flags) !== c.method) return `method ${methodOfFlags(h.flags)} on a ${c.seed.codec} migration`;
  if (h.normalPages > 0 && t.compressed && h.nextPacketSize > maxCompressedPayload(h.normalPages)) return 'next_packet_size beyond the compressed bound';
  const listed = h.normalPages + h.zeroPages;
  if (listed > 0) {
    const limit = blockLimit(c, h.ramblock);
    for (const off of h.offsets) {
      const o = refOffset(off, limit);
      if (!o.ok) return `${o.why} (${h.ramblock} 0x${off.toString(16)})`;
    }
  }
  return undefined;
}

// ---- choosing parts ---------------------------------------------------------

function pickChannel(c: Case, r: Rng): ChannelCase | undefined {
  return c.channels.length > 0 ? r.pick(c.channels) : undefined;
}

function pickPacket(c: Case, r: Rng, filter: (p: PacketCase) => boolean = () => true): { ch: ChannelCase; p: PacketCase; index: number } | undefined {
  const all: { ch: ChannelCase; p: PacketCase; index: number }[] = [];
  for (const ch of c.channels) ch.packets.forEach((p, index) => filter(p) && all.push({ ch, p, index }));
  return all.length > 0 ? r.pick(all) : undefined;
}

/** The channel's sync count after the mutation must cover the main stream's sync points. */
function syncShortfall(c: Case, ch: ChannelCase, removedSyncs: number): boolean {
  const syncs = ch.packets.filter((p) => p.sync).length;
  return c.useMain && syncs - removedSyncs < c.seed.syncPoints;
}

// ---- channel mutators -------------------------------------------------------

/** Flip 1-8 bits of one part of one channel. */
const bitflip: Mutator = (c, r, t) => {
  const ch = pickChannel(c, r);
  if (!ch) return undefined;
  const which = r.below(ch.packets.length * 2 + 1);
  if (which === 0) {
    const b = ownInit(ch);
    const at = flipBits(b, r, r.int(1, 8));
    if (getU32(b, 0) !== MULTIFD_MAGIC || getU32(b, 4) !== 1) c.expect.mustFail = 'initial packet magic/version damaged';
    return `bitflip init ch${ch.id} @${at.join(',')}`;
  }
  const p = ch.packets[(which - 1) >>> 1]!;
  if ((which & 1) === 1) {
    const at = flipBits(ownHeader(p), r, r.int(1, 8));
    const why = packetMustFail(c, p.header, t);
    if (why) c.expect.mustFail = why;
    return `bitflip header ch${ch.id}#${(which - 1) >>> 1} @${at.join(',')}`;
  }
  if (p.payload.length === 0) return undefined;
  p.payload = new Uint8Array(p.payload);
  const at = flipBits(p.payload, r, r.int(1, 8));
  if (!t.compressed) c.expect.mustSucceed = 'nocomp payload bytes are page contents';
  return `bitflip payload ch${ch.id}#${(which - 1) >>> 1} @${at.join(',')}`;
};

/** Set header fields to boundary values (pages_alloc, normal_pages, zero_pages, next_packet_size, flags). */
const headerField: Mutator = (c, r, t) => {
  const pick = pickPacket(c, r);
  if (!pick) return undefined;
  const { ch, p, index } = pick;
  const h = ownHeader(p);
  const field = r.pick([H_PAGES_ALLOC, H_NORMAL, H_ZERO, H_NEXT_SIZE, H_FLAGS, H_PAGES_ALLOC, H_NORMAL, H_NEXT_SIZE]);
  const old = getU32(h, field);
  const v = r.chance(0.6) ? r.pick(INTERESTING_U32) : (old + r.int(-3, 3)) >>> 0;
  setU32(h, field, v);
  const name = { [H_PAGES_ALLOC]: 'pages_alloc', [H_NORMAL]: 'normal_pages', [H_ZERO]: 'zero_pages', [H_NEXT_SIZE]: 'next_packet_size', [H_FLAGS]: 'flags' }[field];
  const why = packetMustFail(c, h, t);
  const syncRemoved = field === H_FLAGS && (old & 1) === 1 && (v & 1) === 0;
  if (why) c.expect.mustFail = why;
  else if (syncRemoved && syncShortfall(c, ch, 1)) c.expect.mustFail = 'a SYNC the main stream waits for is gone';
  // next_packet_size is read only for packets with normal pages, and never by nocomp.
  else if (field === H_NEXT_SIZE && (p.normal === 0 || !t.compressed)) c.expect.mustSucceed = 'next_packet_size is ignored here';
  else if (field === H_FLAGS && p.normal === 0 && p.listed === 0 && (v & 0x01) === (old & 0x01) && (v & ~0x0f) === 0) c.expect.mustSucceed = 'method bits of a packet without pages are ignored';
  return `${name} ${old} -> ${v} ch${ch.id}#${index}`;
};

/** Offsets at and past RAMBlock ends, unaligned, huge; stale slots past the listed pages. */
const offsets: Mutator = (c, r, t) => {
  const stale = r.chance(0.15);
  const pick = pickPacket(c, r, (p) => (stale ? p.listed < 128 : p.listed > 0));
  if (!pick) return undefined;
  const { ch, p, index } = pick;
  const h = ownHeader(p);
  const i = stale ? r.int(p.listed, 127) : r.below(p.listed);
  const used = blockLimit(c, p.ramblock) ?? 64 * PAGE_SIZE;
  const cur = p.offsets[i] ?? 0;
  const choices: bigint[] = [
    BigInt(used - PAGE_SIZE), // the last page: valid
    BigInt(used), // one page past the end
    BigInt(used - PAGE_SIZE + 1), // overlaps the end
    BigInt(used + PAGE_SIZE),
    BigInt(cur + r.int(1, PAGE_SIZE - 1)), // unaligned
    BigInt(r.int(1, PAGE_SIZE - 1)),
    2n ** 32n,
    2n ** 40n,
    2n ** 53n - 4096n,
    2n ** 53n,
    2n ** 63n,
    2n ** 64n - 1n,
    2n ** 64n - 4096n, // -4096 as a signed offset
    BigInt(r.u32()) * 4096n,
  ];
  const v = r.pick(choices);
  setU64(h, H_OFFSETS + 8 * i, v);
  if (stale) {
    c.expect.mustSucceed = 'offsets past the listed pages are stale';
  } else {
    const why = packetMustFail(c, h, t);
    if (why) c.expect.mustFail = why;
    else if (v === BigInt(used - PAGE_SIZE)) {
      c.expect.mustSucceed = 'the last page of the block is a valid target';
      c.expect.pagesMayChange = true;
    }
  }
  return `offset[${i}] 0x${cur.toString(16)} -> 0x${v.toString(16)} ch${ch.id}#${index}${stale ? ' (stale slot)' : ''}`;
};

/** RAMBlock names: unknown, another block, no NUL, empty. */
const ramblock: Mutator = (c, r, t) => {
  const pick = pickPacket(c, r);
  if (!pick) return undefined;
  const { ch, p, index } = pick;
  const h = ownHeader(p);
  const field = h.subarray(H_RAMBLOCK, H_RAMBLOCK + 256);
  const how = r.below(5);
  let note: string;
  if (how === 0) {
    field.fill(0x41);
    note = 'name without NUL';
  } else if (how === 1) {
    field.fill(0);
    note = 'empty name';
  } else {
    const other = c.seed.blocks.length > 0 && how === 2 ? r.pick(c.seed.blocks).name : r.pick(['pc.ran', 'x', 'pc.ram\u00ff', '/rom@etc/acpi/tablesX', 'pc.ram '.repeat(30)]);
    field.fill(0);
    for (let i = 0; i < Math.min(255, other.length); i++) field[i] = other.charCodeAt(i) & 0xff;
    note = `name ${JSON.stringify(other.slice(0, 40))}`;
  }
  if (p.listed === 0) c.expect.mustSucceed = 'the ramblock of a packet without pages is stale';
  else {
    const why = packetMustFail(c, h, t);
    if (why) c.expect.mustFail = why;
  }
  return `${note} ch${ch.id}#${index}`;
};

/** Method and flag bits: other methods, QEMU 10's uadk/device-state bits, random high bits, SYNC. */
const flags: Mutator = (c, r, t) => {
  const pick = pickPacket(c, r);
  if (!pick) return undefined;
  const { ch, p, index } = pick;
  const h = ownHeader(p);
  const old = getU32(h, H_FLAGS);
  const v = r.pick([
    (old & 1) | (r.below(8) << 1),
    old | 0x10,
    old | 0x20,
    old | 0x40,
    old | 0x80,
    old | (1 << r.int(4, 31)),
    old ^ 0x01,
    r.u32(),
  ]) >>> 0;
  setU32(h, H_FLAGS, v);
  const syncRemoved = (old & 1) === 1 && (v & 1) === 0;
  const why = packetMustFail(c, h, t);
  if (why) c.expect.mustFail = why;
  else if (syncRemoved && syncShortfall(c, ch, 1)) c.expect.mustFail = 'a SYNC the main stream waits for is gone';
  else if (p.listed === 0 && (v & 1) === (old & 1)) c.expect.mustSucceed = 'method bits of a packet without pages are ignored';
  return `flags 0x${old.toString(16)} -> 0x${v.toString(16)} ch${ch.id}#${index}`;
};

/** Fields a receiver ignores: packet_num, the unused words, stale fields of packets without pages. */
const ignoredFields: Mutator = (c, r) => {
  const pick = pickPacket(c, r);
  if (!pick) return undefined;
  const { ch, p, index } = pick;
  const h = ownHeader(p);
  const what = r.below(3);
  if (what === 0) {
    setU64(h, H_PACKET_NUM, BigInt(r.u32()) * BigInt(r.u32()));
    c.expect.mustSucceed = 'packet_num is not checked';
    return `packet_num ch${ch.id}#${index}`;
  }
  if (what === 1) {
    r.fill(h.subarray(36, 64));
    c.expect.mustSucceed = 'header bytes 36-63 are unused';
    return `unused header bytes ch${ch.id}#${index}`;
  }
  if (p.listed !== 0) return undefined;
  r.fill(h.subarray(H_NEXT_SIZE, H_NEXT_SIZE + 4));
  r.fill(h.subarray(H_RAMBLOCK, H_RAMBLOCK + 256));
  r.fill(h.subarray(H_OFFSETS));
  c.expect.mustSucceed = 'next_packet_size, ramblock and offsets of a packet without pages are stale';
  return `stale fields ch${ch.id}#${index}`;
};

/** Cut a channel: mid-frame, or at a frame boundary (dropping whole packets). */
const truncateChannel: Mutator = (c, r) => {
  const ch = pickChannel(c, r);
  if (!ch) return undefined;
  const ends: number[] = [64];
  let at = 64;
  for (const p of ch.packets) {
    at += p.header.length + p.payload.length;
    ends.push(at);
  }
  if (r.chance(0.3)) {
    const k = r.below(ends.length - 1); // keep packets [0, k)
    ch.cut = ends[k]!;
    const dropped = ch.packets.slice(k);
    const droppedSyncs = dropped.filter((p) => p.sync).length;
    if (syncShortfall(c, ch, droppedSyncs)) c.expect.mustFail = 'SYNC packets the main stream waits for are cut off';
    else if (uniquePages(c, dropped) > 0) c.expect.loss = `${dropped.length} packets cut off`;
    return `cut ch${ch.id} after packet ${k} (byte ${ch.cut})`;
  }
  const total = at;
  let cut = r.below(total);
  while (ends.includes(cut) && cut > 0) cut--;
  ch.cut = cut;
  c.expect.mustFail = 'channel ends inside a frame';
  return `cut ch${ch.id} at byte ${cut} of ${total}`;
};

/** Remove one packet. */
const dropPacket: Mutator = (c, r) => {
  const pick = pickPacket(c, r);
  if (!pick) return undefined;
  const { ch, p, index } = pick;
  ch.packets.splice(index, 1);
  if (p.sync && syncShortfall(c, ch, 0)) c.expect.mustFail = 'a SYNC the main stream waits for is gone';
  else if (uniquePages(c, [p]) > 0) c.expect.loss = 'a packet with pages delivered nowhere else is gone';
  return `drop ch${ch.id}#${index}${p.sync ? ' (SYNC)' : ''} (${p.listed} pages)`;
};

/** Repeat a packet right after itself. */
const duplicatePacket: Mutator = (c, r) => {
  const pick = pickPacket(c, r);
  if (!pick) return undefined;
  const { ch, p, index } = pick;
  ch.packets.splice(index + 1, 0, { ...p, ownHeader: false });
  return `duplicate ch${ch.id}#${index}`;
};

/** Swap two packets, within a channel or across channels. */
const swapPackets: Mutator = (c, r) => {
  const a = pickPacket(c, r);
  const b = pickPacket(c, r);
  if (!a || !b || (a.ch === b.ch && a.index === b.index)) return undefined;
  a.ch.packets[a.index] = b.p;
  b.ch.packets[b.index] = a.p;
  return `swap ch${a.ch.id}#${a.index} <-> ch${b.ch.id}#${b.index}`;
};

/** Swap two packets' payloads (headers stay). */
const swapPayloads: Mutator = (c, r) => {
  const a = pickPacket(c, r, (p) => p.payload.length > 0);
  const b = pickPacket(c, r, (p) => p.payload.length > 0);
  if (!a || !b || a.p === b.p) return undefined;
  [a.p.payload, b.p.payload] = [b.p.payload, a.p.payload];
  return `swap payloads ch${a.ch.id}#${a.index} <-> ch${b.ch.id}#${b.index}`;
};

/** Damage a payload: truncate, extend, zero, randomise, replace with a bomb. */
const payload: Mutator = (c, r, t) => {
  const pick = pickPacket(c, r, (p) => p.normal > 0 && p.payload.length > 0);
  if (!pick) return undefined;
  const { ch, p, index } = pick;
  const len = p.payload.length;
  const how = r.below(8);
  const fixSize = (n: number) => setU32(ownHeader(p), H_NEXT_SIZE, n);
  switch (how) {
    case 0: {
      // Shorter, next_packet_size unchanged: the channel's framing shifts.
      const n = r.int(1, len);
      p.payload = p.payload.subarray(0, len - n);
      c.expect.mustFail = 'payload shorter than the header says';
      return `payload -${n} bytes ch${ch.id}#${index}`;
    }
    case 1: {
      if (!t.compressed) return undefined;
      // Shorter, next_packet_size fixed: the payload itself ends early.
      const n = r.chance(0.5) ? r.int(1, 8) : r.int(1, len);
      p.payload = p.payload.subarray(0, len - n);
      fixSize(p.payload.length);
      if (n !== t.harmlessCut) c.expect.mustFail = 'compressed payload cut short';
      return `payload cut by ${n} (next_packet_size fixed) ch${ch.id}#${index}`;
    }
    case 2: {
      if (!t.compressed) return undefined;
      const extra = r.chance(0.3) && t.emptyFlush ? t.emptyFlush : r.bytes(r.int(1, 64));
      const out = new Uint8Array(len + extra.length);
      out.set(p.payload);
      out.set(extra, len);
      p.payload = out;
      fixSize(out.length);
      return `payload +${extra.length} bytes (next_packet_size fixed) ch${ch.id}#${index}`;
    }
    case 3: {
      const out = new Uint8Array(p.payload);
      const from = r.below(len);
      out.fill(r.pick(INTERESTING_U8), from, Math.min(len, from + r.int(1, 4096)));
      p.payload = out;
      if (!t.compressed) c.expect.mustSucceed = 'nocomp payload bytes are page contents';
      return `payload fill at ${from} ch${ch.id}#${index}`;
    }
    case 4: {
      const out = new Uint8Array(p.payload);
      const from = r.below(len);
      r.fill(out.subarray(from, Math.min(len, from + r.int(1, 512))));
      p.payload = out;
      if (!t.compressed) c.expect.mustSucceed = 'nocomp payload bytes are page contents';
      return `payload random bytes at ${from} ch${ch.id}#${index}`;
    }
    case 5: {
      // A bomb in place of the channel's first data payload (a fresh stream).
      if (!t.startBomb) return undefined;
      const first = ch.packets.findIndex((q) => q.normal > 0);
      if (first < 0) return undefined;
      const q = ch.packets[first]!;
      q.payload = t.startBomb;
      setU32(ownHeader(q), H_NEXT_SIZE, t.startBomb.length);
      c.expect.mustFail = 'payload inflates to 1024 pages';
      return `bomb at ch${ch.id}#${first}`;
    }
    case 6: {
      // Empty payload with next_packet_size 0 on a packet with pages.
      if (!t.compressed) return undefined;
      p.payload = new Uint8Array(0);
      fixSize(0);
      c.expect.mustFail = 'no payload for a packet with pages';
      return `empty payload ch${ch.id}#${index}`;
    }
    default: {
      // next_packet_size past the bound, payload as is.
      if (!t.compressed) return undefined;
      const v = r.pick([maxCompressedPayload(p.normal) + 1, 0xffffffff, 0x80000000, 128 * PAGE_SIZE * 2]);
      fixSize(v);
      c.expect.mustFail = 'next_packet_size beyond the compressed bound';
      return `next_packet_size ${v} ch${ch.id}#${index}`;
    }
  }
};

/** Initial packets: magic, version, uuid, ids out of range or taken, unused bytes, swapped ids. */
const initial: Mutator = (c, r) => {
  const ch = pickChannel(c, r);
  if (!ch) return undefined;
  const b = ownInit(ch);
  const how = r.below(7);
  switch (how) {
    case 0:
      setU32(b, 0, r.chance(0.5) ? MULTIFD_MAGIC ^ (1 << r.below(32)) : r.u32());
      if (getU32(b, 0) === MULTIFD_MAGIC) return undefined;
      c.expect.mustFail = 'initial packet magic';
      return `init magic ch${ch.id}`;
    case 1:
      setU32(b, 4, r.pick([0, 2, 3, 0xffffffff, 0x01000000]));
      c.expect.mustFail = 'initial packet version';
      return `init version ch${ch.id}`;
    case 2: {
      const i = r.int(8, 23);
      b[i]! ^= 1 << r.below(8);
      if (c.uuid !== undefined || c.channels.length > 1) c.expect.mustFail = 'uuid mismatch';
      return `uuid byte ${i - 8} ch${ch.id}`;
    }
    case 3: {
      const n = c.seed.channels.length;
      const id = r.pick([n, n + 1, 255, r.int(n, 255)]);
      if (id === ch.id) return undefined;
      b[24] = id;
      if (c.channelCount !== undefined) c.expect.mustFail = `channel id ${id} >= ${c.channelCount}`;
      return `id ${ch.id} -> ${id}`;
    }
    case 4: {
      const other = c.channels.find((o) => o !== ch);
      if (!other) return undefined;
      b[24] = other.init[24]!;
      c.expect.mustFail = 'duplicate channel id';
      return `id ${ch.id} -> ${other.init[24]} (taken)`;
    }
    case 5: {
      r.fill(b.subarray(25, 64));
      c.expect.mustSucceed = 'initial packet bytes 25-63 are unused';
      return `init unused bytes ch${ch.id}`;
    }
    default: {
      const other = c.channels.find((o) => o !== ch);
      if (!other) return undefined;
      const o = ownInit(other);
      [b[24], o[24]] = [o[24]!, b[24]!];
      c.expect.mustSucceed = 'channel ids are labels: any assignment of distinct ids is valid';
      return `swap ids ch${ch.id} <-> ch${other.id}`;
    }
  }
};

/** Bytes after the last packet. */
const garbage: Mutator = (c, r) => {
  const ch = pickChannel(c, r);
  if (!ch) return undefined;
  if (r.chance(0.7)) {
    ch.garbage = r.bytes(r.int(1, PACKET_HEADER_SIZE - 1));
    c.expect.mustFail = 'channel ends inside a packet header';
    return `+${ch.garbage.length} garbage bytes ch${ch.id}`;
  }
  const donor = pickPacket(c, r);
  if (!donor) return undefined;
  const g = new Uint8Array(donor.p.header.length + donor.p.payload.length);
  g.set(donor.p.header);
  g.set(donor.p.payload, donor.p.header.length);
  ch.garbage = g;
  return `ch${ch.id} ends with a copy of ch${donor.ch.id}#${donor.index}`;
};

/** A whole channel goes missing. */
const dropChannel: Mutator = (c, r) => {
  if (c.channels.length === 0) return undefined;
  const i = r.below(c.channels.length);
  const [ch] = c.channels.splice(i, 1);
  if (uniquePages(c, ch!.packets) > 0) c.expect.loss = 'a channel with pages delivered nowhere else is missing';
  return `drop channel ${ch!.id}`;
};

/** No change: only the chunking differs. */
const nothing: Mutator = (c) => {
  c.expect.mustSucceed = 'unchanged input';
  return 'no mutation';
};

// ---- main stream mutators ---------------------------------------------------

/** Flip bits or set bytes of the main stream's RAM part. */
const mainBytes: Mutator = (c, r) => {
  if (!c.useMain) return undefined;
  const m = ownMain(c);
  const limit = Math.max(1, Math.min(m.length, c.seed.ramEnd + 16));
  const at: number[] = [];
  for (let i = r.int(1, 4); i > 0; i--) {
    const pos = r.below(limit);
    if (r.chance(0.5)) m[pos]! ^= 1 << r.below(8);
    else m[pos] = r.pick(INTERESTING_U8);
    at.push(pos);
  }
  if (getU32(m, 0) !== QEVM_MAGIC || getU32(m, 4) !== QEVM_VERSION) c.expect.mustFail = 'main stream magic/version damaged';
  return `main bytes @${at.join(',')}`;
};

const truncateMain: Mutator = (c, r) => {
  if (!c.useMain) return undefined;
  const cut = r.below(c.seed.ramEnd);
  c.main = c.main.subarray(0, cut);
  c.expect.mustFail = 'main stream ends before its RAM section does';
  return `main cut at ${cut} of ${c.seed.ramEnd}`;
};

/** Rewrite one ZERO/PAGE record's address: past the block, huge, the last page; or its flags. */
const mainRecord: Mutator = (c, r) => {
  if (!c.useMain) return undefined;
  const recs = c.seed.records.filter((x) => x.kind === 'zero' || x.kind === 'page');
  if (recs.length === 0) return undefined;
  const rec = r.pick(recs);
  const m = ownMain(c);
  const used = c.seed.blocks.find((b) => b.name === rec.block)?.usedLength ?? 0;
  const flags = getU32(m, rec.at + 4) & 0xfff;
  if (r.chance(0.25)) {
    const bad = r.pick([0x001, 0x040, 0x080, 0x100, 0x400, 0x800, 0x004 | 0x008, 0x002 | 0x008, 0x010 | 0x002]) | (flags & 0x020);
    setU32(m, rec.at + 4, (getU32(m, rec.at + 4) & ~0xfff) | bad);
    c.expect.mustFail = `RAM record flags 0x${bad.toString(16)}`;
    return `main record @${rec.at} flags 0x${flags.toString(16)} -> 0x${bad.toString(16)}`;
  }
  const addr = r.pick([BigInt(used), BigInt(used) + 4096n, 2n ** 53n, 2n ** 63n, 2n ** 52n, BigInt(used - PAGE_SIZE)]);
  setU64(m, rec.at, addr | BigInt(flags));
  if (addr === BigInt(used - PAGE_SIZE)) {
    c.expect.mustSucceed = 'the last page of the block is a valid target';
    c.expect.pagesMayChange = true;
  } else c.expect.mustFail = `record address 0x${addr.toString(16)} past ${rec.block}`;
  return `main record @${rec.at} address -> 0x${addr.toString(16)}`;
};

/** MEM_SIZE: the announced total, a block's used length, a block's name. */
const memSize: Mutator = (c, r) => {
  if (!c.useMain) return undefined;
  const rec = c.seed.records.find((x) => x.kind === 'ramblocks');
  if (!rec) return undefined;
  const m = ownMain(c);
  // After the 8-byte total: per block, u8 length + name + u64 used_length.
  const entries: { nameAt: number; lenAt: number }[] = [];
  for (let at = rec.at + 8; at < rec.end - 8 && entries.length < c.seed.blocks.length; ) {
    const n = m[at]!;
    entries.push({ nameAt: at, lenAt: at + 1 + n });
    at += 1 + n + 8;
  }
  const how = r.below(5);
  if (how === 0) {
    const total = r.pick([0n, 1n, 2n ** 44n + 1n, 2n ** 63n, 2n ** 64n - 1n, 4096n]);
    setU64(m, rec.at, total | (BigInt(getU32(m, rec.at + 4)) & 0xfffn));
    return `MEM_SIZE total -> ${total}`;
  }
  const e = entries.length > 0 ? r.pick(entries) : undefined;
  if (!e) return undefined;
  if (how === 1) {
    setU64(m, e.lenAt, BigInt(r.pick([1, 4095, 4097, 0x1001]) + r.below(4) * PAGE_SIZE));
    c.expect.mustFail = 'a RAMBlock used length that is not a multiple of 4096 (or too long)';
    return `MEM_SIZE used_length unaligned @${e.lenAt}`;
  }
  if (how === 2) {
    setU64(m, e.lenAt, r.pick([0n, 2n ** 40n, 2n ** 63n, 2n ** 64n - 4096n]));
    c.expect.mustFail = 'a RAMBlock used length of 0 or beyond the announced total';
    return `MEM_SIZE used_length huge/zero @${e.lenAt}`;
  }
  if (how === 3) {
    m[e.nameAt] = r.pick([0, 255, m[e.nameAt]! + 1, m[e.nameAt]! - 1]);
    return `MEM_SIZE name length @${e.nameAt}`;
  }
  m[e.nameAt + 1]! ^= 0x20;
  return `MEM_SIZE name byte @${e.nameAt + 1}`;
};

/** Remove or repeat a main-stream record (ZERO, PAGE, EOS, FLUSH). */
const mainSplice: Mutator = (c, r) => {
  // Record positions are the seed's: only on a main stream no mutator has touched yet.
  if (!c.useMain || c.main !== c.seed.main) return undefined;
  const recs = c.seed.records.filter((x) => x.kind === 'zero' || x.kind === 'page' || x.kind === 'eos' || x.kind === 'flush');
  if (recs.length === 0) return undefined;
  const rec = r.pick(recs);
  const m = c.main;
  const dup = r.chance(0.4);
  const span = rec.end - rec.at;
  const out = new Uint8Array(m.length + (dup ? span : -span));
  if (dup) {
    out.set(m.subarray(0, rec.end));
    out.set(m.subarray(rec.at), rec.end);
  } else {
    out.set(m.subarray(0, rec.at));
    out.set(m.subarray(rec.end), rec.at);
  }
  c.main = out;
  c.ownMain = true;
  if (!dup && (rec.kind === 'zero' || rec.kind === 'page')) {
    const key = `${rec.block}\0${rec.offset! / PAGE_SIZE}`;
    if ((c.seed.mainDeliveries.get(key) ?? 0) + (c.seed.packetDeliveries.get(key) ?? 0) === 1) c.expect.loss = 'a record delivered nowhere else is gone';
  }
  return `${dup ? 'repeat' : 'drop'} main ${rec.kind} @${rec.at}`;
};

// ---- the menus --------------------------------------------------------------

export interface WeightedMutator {
  readonly name: string;
  readonly weight: number;
  readonly fn: Mutator;
}

export const CHANNEL_MUTATORS: readonly WeightedMutator[] = [
  { name: 'bitflip', weight: 10, fn: bitflip },
  { name: 'header-field', weight: 12, fn: headerField },
  { name: 'offsets', weight: 10, fn: offsets },
  { name: 'ramblock', weight: 5, fn: ramblock },
  { name: 'flags', weight: 6, fn: flags },
  { name: 'ignored-fields', weight: 4, fn: ignoredFields },
  { name: 'truncate-channel', weight: 6, fn: truncateChannel },
  { name: 'drop-packet', weight: 5, fn: dropPacket },
  { name: 'duplicate-packet', weight: 3, fn: duplicatePacket },
  { name: 'swap-packets', weight: 3, fn: swapPackets },
  { name: 'swap-payloads', weight: 3, fn: swapPayloads },
  { name: 'payload', weight: 10, fn: payload },
  { name: 'initial', weight: 6, fn: initial },
  { name: 'garbage', weight: 3, fn: garbage },
  { name: 'drop-channel', weight: 1, fn: dropChannel },
  { name: 'main-bytes', weight: 2, fn: mainBytes },
  { name: 'main-record', weight: 2, fn: mainRecord },
  { name: 'truncate-main', weight: 1, fn: truncateMain },
  { name: 'nothing', weight: 2, fn: nothing },
];

export const MAIN_MUTATORS: readonly WeightedMutator[] = [
  { name: 'main-bytes', weight: 10, fn: mainBytes },
  { name: 'main-record', weight: 8, fn: mainRecord },
  { name: 'mem-size', weight: 6, fn: memSize },
  { name: 'main-splice', weight: 5, fn: mainSplice },
  { name: 'truncate-main', weight: 4, fn: truncateMain },
  { name: 'nothing', weight: 1, fn: nothing },
];

/**
 * Apply 0-6 mutators from `menu`. The expectation a mutator set survives
 * only when it was the one mutator applied (two changes can cancel out).
 */
export function mutate(c: Case, r: Rng, t: CodecTraits, menu: readonly WeightedMutator[], rounds?: number): void {
  const n = rounds ?? [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 6][r.below(19)]!;
  const weights = menu.map((m) => m.weight);
  let applied = 0;
  let expect = {};
  for (let tries = 0; applied < n && tries < 4 * n + 8; tries++) {
    c.expect = {};
    const m = menu[r.weighted(weights)]!;
    const note = m.fn(c, r, t);
    if (note === undefined) continue;
    c.notes.push(`${m.name}: ${note}`);
    expect = c.expect;
    applied++;
  }
  c.ops = applied;
  c.expect = applied === 1 ? expect : {};
}
