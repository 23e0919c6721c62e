/**
 * The seed corpus: migrations split into their parts (main stream records,
 * each channel's initial packet and packets), so mutators can aim at fields.
 *
 * - Real captures (fixtures/qemu-7.2, fixtures/qemu-10.0), whole.
 * - The same captures *reduced*: the main stream keeps every record but most
 *   of each run of ZERO records, and its device state is cut; each channel
 *   keeps its initial packet, every SYNC packet, a few zero-only packets and
 *   its first data packets (a prefix, so zlib/zstd streams still decode).
 *   Every byte left is QEMU's; a run costs a fraction of a millisecond.
 * - Synthetic migrations written by core's own sender (writeMigration) for
 *   both wire profiles, 1-3 channels, with a VM uuid, small RAMBlocks and
 *   small packets.
 * - "Bomb" and "short" variants of the synthetic ones: one packet's payload
 *   decodes to far more (or fewer) bytes than its normal_pages say.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ChannelFramer,
  INITIAL_PACKET_SIZE,
  MainStreamParser,
  PAGE_SIZE,
  QEMU_10,
  QEMU_7_2,
  encodePacketHeader,
  fillMemory,
  isSync,
  methodOfFlags,
  writeMigration,
  type AnyMultiFDMethods,
  type MainItem,
  type PacketHeader,
  type RAMBlock,
  type RAMBlockInfo,
  type WireProfile,
} from '@multifd/core';
import { Rng } from './rng.js';

export interface PacketSeed {
  /** The 1344 header bytes. */
  readonly header: Uint8Array;
  readonly payload: Uint8Array;
  readonly h: PacketHeader;
}

export interface ChannelSeed {
  readonly init: Uint8Array;
  readonly id: number;
  readonly packets: readonly PacketSeed[];
  /** SYNC packets in this channel. */
  readonly syncs: number;
}

/** A main-stream item with the byte range it spans (up to the next item). */
export interface MainRecord {
  readonly kind: MainItem['kind'];
  readonly at: number;
  readonly end: number;
  readonly block?: string;
  readonly offset?: number;
}

export type SeedOrigin = 'capture' | 'reduced' | 'synthetic' | 'bomb' | 'short';

export interface MigrationSeed {
  readonly name: string;
  readonly origin: SeedOrigin;
  /** Codec name and method value of the migration. */
  readonly codec: string;
  readonly method: number;
  readonly main: Uint8Array;
  readonly records: readonly MainRecord[];
  /** Main-stream offset right after the RAM section's END (bytes after it are opaque). */
  readonly ramEnd: number;
  readonly blocks: readonly RAMBlockInfo[];
  readonly uuid: Uint8Array;
  readonly channels: readonly ChannelSeed[];
  /** Sync points of the main stream (FLUSH records when it has any, else EOS records). */
  readonly syncPoints: number;
  /** How often each page is delivered by main-stream records, by `block\0pageIndex`. */
  readonly mainDeliveries: ReadonlyMap<string, number>;
  /** How often each page is listed in packets (normal and zero pages), by `block\0pageIndex`. */
  readonly packetDeliveries: ReadonlyMap<string, number>;
  /** Distinct pages delivered: what a clean run reports. */
  readonly distinctPages: number;
  /** Distinct pages the packets deliver: what a clean run without the main stream reports. */
  readonly channelPages: number;
  /** Set on variants that must be rejected, with the reason. */
  readonly mustFail?: string;
  /** On variants: the index (in `channels`) of the channel whose payload was changed. */
  readonly variantChannel?: number;
}

export const pageKey = (block: string, offset: number): string => `${block}\0${offset / PAGE_SIZE}`;

/** Payload bytes that follow a header, the way the receiver computes them for a valid stream. */
function payloadLengthOf(h: PacketHeader): number {
  return methodOfFlags(h.flags) === 0 ? h.normalPages * PAGE_SIZE : h.nextPacketSize;
}

export function parseChannel(bytes: Uint8Array): ChannelSeed {
  const framer = new ChannelFramer({ payloadLength: payloadLengthOf });
  let init: Uint8Array | undefined;
  let id = -1;
  const packets: PacketSeed[] = [];
  for (const frame of framer.push(bytes)) {
    if (frame.kind === 'init') {
      init = bytes.subarray(frame.at, frame.at + INITIAL_PACKET_SIZE);
      id = frame.packet.id;
    } else {
      packets.push({ header: frame.headerBytes, payload: frame.payload, h: frame.header });
    }
  }
  framer.finish();
  if (!init) throw new Error('channel without initial packet');
  return { init, id, packets, syncs: packets.filter((p) => isSync(p.h.flags)).length };
}

export function parseMain(main: Uint8Array): { records: MainRecord[]; blocks: RAMBlockInfo[]; ramEnd: number; syncPoints: number } {
  const parser = new MainStreamParser();
  const { items } = parser.parse(main);
  parser.finish();
  const records: MainRecord[] = [];
  let blocks: RAMBlockInfo[] = [];
  let ramEnd = main.length;
  let eos = 0;
  let flush = 0;
  for (let i = 0; i < items.length; i++) {
    // Loosely typed: a parser may also batch a run of ZERO records into one
    // item ({ kind: 'zeros', offsets }); it is split back into its records.
    const item = items[i]! as { kind: string; at: number; block?: string; offset?: number; offsets?: number[]; blocks?: RAMBlockInfo[] };
    const end = items[i + 1]?.at ?? parser.offset;
    if (item.kind === 'zeros' && item.offsets && item.offsets.length > 0) {
      // A run: the first record (maybe with the block name), then 9-byte ZERO|CONTINUE records.
      const n = item.offsets.length;
      const firstEnd = end - 9 * (n - 1);
      records.push({ kind: 'zero', at: item.at, end: firstEnd, block: item.block!, offset: item.offsets[0]! });
      for (let k = 1; k < n; k++) records.push({ kind: 'zero', at: firstEnd + 9 * (k - 1), end: firstEnd + 9 * k, block: item.block!, offset: item.offsets[k]! });
      continue;
    }
    const kind = item.kind as MainRecord['kind'];
    const rec: MainRecord = kind === 'zero' || kind === 'page' ? { kind, at: item.at, end, block: item.block!, offset: item.offset! } : { kind, at: item.at, end };
    records.push(rec);
    if (item.kind === 'ramblocks') blocks = item.blocks!;
    if (item.kind === 'eos') eos++;
    if (item.kind === 'flush') flush++;
  }
  // The RAM section is complete after the END section's footer (0x7e + u32 section id), when there is one.
  const complete = items.find((i) => i.kind === 'ram-complete');
  if (complete) ramEnd = complete.at + (main[complete.at] === 0x7e ? 5 : 0);
  return { records, blocks, ramEnd, syncPoints: flush > 0 ? flush : eos };
}

export function buildSeed(
  name: string,
  origin: SeedOrigin,
  codec: AnyMultiFDMethods,
  main: Uint8Array,
  channels: readonly ChannelSeed[],
  extra: { uuid?: Uint8Array; mustFail?: string; variantChannel?: number } = {},
): MigrationSeed {
  const m = parseMain(main);
  const mainDeliveries = new Map<string, number>();
  const packetDeliveries = new Map<string, number>();
  const deliver = (into: Map<string, number>, block: string, offset: number) => {
    const k = pageKey(block, offset);
    into.set(k, (into.get(k) ?? 0) + 1);
  };
  for (const r of m.records) if (r.kind === 'zero' || r.kind === 'page') deliver(mainDeliveries, r.block!, r.offset!);
  for (const ch of channels) for (const p of ch.packets) for (const off of p.h.offsets) deliver(packetDeliveries, p.h.ramblock, off);
  const all = new Set([...mainDeliveries.keys(), ...packetDeliveries.keys()]);
  const uuid = extra.uuid ?? new Uint8Array(channels[0]?.init.subarray(8, 24) ?? new Uint8Array(16));
  return {
    name,
    origin,
    codec: codec.name,
    method: codec.value,
    main,
    records: m.records,
    ramEnd: m.ramEnd,
    blocks: m.blocks,
    uuid,
    channels,
    syncPoints: m.syncPoints,
    mainDeliveries,
    packetDeliveries,
    distinctPages: all.size,
    channelPages: packetDeliveries.size,
    ...(extra.mustFail ? { mustFail: extra.mustFail } : {}),
    ...(extra.variantChannel !== undefined ? { variantChannel: extra.variantChannel } : {}),
  };
}

/** Where the repository's captures are (packages/fuzz/{src,dist}/ -> fixtures/). */
export function defaultFixturesDir(): string {
  return fileURLToPath(new URL('../../../fixtures/', import.meta.url));
}

export interface CaptureFiles {
  /** "qemu-7.2/zstd-2ch" */
  name: string;
  main: Uint8Array;
  channels: Uint8Array[];
}

/** Every capture under `dir` (qemu-7.2/*, qemu-10.0/*) with a main stream and channels. */
export function listCaptures(dir = defaultFixturesDir()): CaptureFiles[] {
  const out: CaptureFiles[] = [];
  for (const version of ['qemu-7.2', 'qemu-10.0']) {
    const vdir = path.join(dir, version);
    if (!existsSync(vdir)) continue;
    for (const cap of readdirSync(vdir).sort()) {
      const cdir = path.join(vdir, cap);
      let files: string[];
      try {
        files = readdirSync(cdir).sort();
      } catch {
        continue;
      }
      const main = files.find((f) => /^conn\d+-main\.bin$/.test(f));
      const chans = files.filter((f) => /^conn\d+-multifd-ch\d+\.bin$/.test(f));
      if (!main || chans.length === 0) continue;
      out.push({
        name: `${version}/${cap}`,
        main: new Uint8Array(readFileSync(path.join(cdir, main))),
        channels: chans.map((f) => new Uint8Array(readFileSync(path.join(cdir, f)))),
      });
    }
  }
  return out;
}

/** The method value of a capture: that of its first packet with pages. */
function captureMethod(channels: readonly ChannelSeed[]): number {
  for (const ch of channels) for (const p of ch.packets) if (p.h.normalPages > 0) return methodOfFlags(p.h.flags);
  return 0;
}

export interface ReduceOptions {
  /** Data packets kept per channel (a prefix of its packets with pages); a function: per channel index. */
  dataPackets: number | ((channel: number) => number);
  /** Zero-only packets kept per channel (QEMU 10.0). */
  zeroOnlyPackets: number;
  /** ZERO records kept of each run on the main stream. */
  zeroRecords: number;
  /** Opaque bytes kept after the RAM section. */
  tail: number;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The main stream without most ZERO records and without most of its device state. */
export function reduceMain(main: Uint8Array, records: readonly MainRecord[], ramEnd: number, o: Pick<ReduceOptions, 'zeroRecords' | 'tail'>): Uint8Array {
  const parts: Uint8Array[] = [];
  let from = 0;
  let run = 0;
  for (const r of records) {
    if (r.kind === 'zero') {
      run++;
      if (run > o.zeroRecords) {
        parts.push(main.subarray(from, r.at));
        from = r.end;
      }
    } else {
      run = 0;
    }
  }
  parts.push(main.subarray(from, Math.min(main.length, ramEnd + o.tail)));
  return concat(parts);
}

export function reduceChannel(ch: ChannelSeed, o: { dataPackets: number; zeroOnlyPackets: number }): Uint8Array {
  const parts: Uint8Array[] = [ch.init];
  let data = 0;
  let zeroOnly = 0;
  for (const p of ch.packets) {
    if (p.h.normalPages > 0) {
      if (data++ < o.dataPackets) parts.push(p.header, p.payload);
      else if (isSync(p.h.flags)) {
        // A SYNC that carries pages past the kept prefix: keep the SYNC, without
        // its pages (its payload continues a stream whose earlier bytes are gone).
        const header = new Uint8Array(p.header);
        header.fill(0, 16, 20); // normal_pages
        header.fill(0, 32, 36); // zero_pages
        parts.push(header);
      }
      continue;
    }
    const keep = isSync(p.h.flags) || (p.h.zeroPages > 0 && zeroOnly++ < o.zeroOnlyPackets);
    if (keep) parts.push(p.header, p.payload);
  }
  return concat(parts);
}

export function captureSeed(cap: CaptureFiles, codecs: ReadonlyMap<number, AnyMultiFDMethods>): MigrationSeed {
  const channels = cap.channels.map(parseChannel);
  const codec = codecs.get(captureMethod(channels));
  if (!codec) throw new Error(`${cap.name}: no codec for method ${captureMethod(channels)}`);
  return buildSeed(cap.name, 'capture', codec, cap.main, channels);
}

export function reduceSeed(seed: MigrationSeed, codec: AnyMultiFDMethods, o: ReduceOptions, suffix: string): MigrationSeed {
  const main = reduceMain(seed.main, seed.records, seed.ramEnd, o);
  const channels = seed.channels.map((c, i) =>
    parseChannel(reduceChannel(c, { dataPackets: typeof o.dataPackets === 'number' ? o.dataPackets : o.dataPackets(i), zeroOnlyPackets: o.zeroOnlyPackets })),
  );
  return buildSeed(`${seed.name}${suffix}`, 'reduced', codec, main, channels);
}

// ---- synthetic migrations ----------------------------------------------

export interface SyntheticOptions {
  codec: AnyMultiFDMethods;
  profile: WireProfile;
  channels: number;
  uuid?: Uint8Array;
  /** Pages of pc.ram. */
  ramPages: number;
  label: string;
  codecOptions?: Readonly<Record<string, unknown>>;
}

/** Small RAMBlocks with a realistic page mix, the same bytes every time for one label. */
export function syntheticBlocks(label: string, ramPages: number): RAMBlock[] {
  const mk = (name: string, pages: number): RAMBlock => {
    const memory = new Uint8Array(pages * PAGE_SIZE);
    fillMemory(memory, `${label}/${name}`);
    return { name, usedLength: memory.length, memory };
  };
  return [mk('pc.ram', ramPages), mk('pc.bios', 4), mk('/rom@etc/acpi/tables', 2)];
}

/** Write a whole small migration with core's sender pieces; the streams as bytes. */
export async function writeSynthetic(o: SyntheticOptions): Promise<{ main: Uint8Array; channels: Uint8Array[]; blocks: RAMBlock[] }> {
  const blocks = syntheticBlocks(o.label, o.ramPages);
  const rng = new Rng(`synthetic/${o.label}`);
  const mainParts: Uint8Array[] = [];
  const chParts: Uint8Array[][] = Array.from({ length: o.channels }, () => []);
  // Three passes: everything, then two dirty subsets (pages re-sent in later epochs).
  const dirty = () =>
    blocks.flatMap((b) => {
      const out: { block: string; offset: number }[] = [];
      for (let off = 0; off < b.usedLength; off += PAGE_SIZE) if (rng.chance(0.25)) out.push({ block: b.name, offset: off });
      return out;
    });
  await writeMigration({
    blocks,
    codec: o.codec,
    channels: o.channels,
    profile: o.profile,
    ...(o.uuid ? { uuid: o.uuid } : {}),
    ...(o.codecOptions ? { codecOptions: o.codecOptions } : {}),
    passes: ['all', dirty(), dirty()],
    out: {
      main: (bytes) => void mainParts.push(new Uint8Array(bytes)),
      channel: (id, chunks) => void chParts[id]!.push(...chunks.map((c) => new Uint8Array(c))),
    },
  });
  return { main: concat(mainParts), channels: chParts.map(concat), blocks };
}

export async function syntheticSeed(o: SyntheticOptions): Promise<MigrationSeed> {
  const w = await writeSynthetic(o);
  return buildSeed(`synthetic/${o.label}`, 'synthetic', o.codec, w.main, w.channels.map(parseChannel), o.uuid ? { uuid: o.uuid } : {});
}

/**
 * A variant of a synthetic seed whose channel `channel` carries, at its
 * `target`-th data packet, a payload that decodes to `extraPages` pages more
 * than the header's normal_pages ("bomb": all-zero pages, a tiny payload) or
 * one page fewer ("short"). The channel's stream is re-encoded from its pages
 * with a fresh codec state, so every other packet stays valid.
 */
export async function payloadVariant(
  seed: MigrationSeed,
  codec: AnyMultiFDMethods,
  blocks: readonly RAMBlock[],
  kind: 'bomb' | 'short',
  channel: number,
  target: number,
  codecOptions?: Readonly<Record<string, unknown>>,
): Promise<MigrationSeed | undefined> {
  const ch = seed.channels[channel];
  if (!ch || ch.packets.filter((p) => p.h.normalPages > 0).length <= target) return undefined;
  const state = await codec.sendSetup({ id: ch.id, ...(codecOptions ? { options: codecOptions } : {}) });
  const zero = new Uint8Array(PAGE_SIZE);
  const parts: Uint8Array[] = [ch.init];
  let data = 0;
  let changed = false;
  try {
    for (const p of ch.packets) {
      if (p.h.normalPages === 0) {
        parts.push(p.header, p.payload);
        continue;
      }
      const block = blocks.find((b) => b.name === p.h.ramblock)!;
      const offsets = p.h.offsets.slice(0, p.h.normalPages);
      let pages = offsets.map((off) => block.memory.subarray(off, off + PAGE_SIZE));
      if (data++ === target) {
        if (kind === 'bomb') pages = [...pages, ...Array.from({ length: 1024 }, () => zero)];
        else if (pages.length > 1) pages = pages.slice(0, -1);
        else return undefined;
        changed = true;
      }
      const prepared = await codec.sendPrepare(state, { pages });
      const payload = concat(prepared.payload);
      const header = encodePacketHeader({
        flags: p.h.flags,
        pagesAlloc: p.h.pagesAlloc,
        normalPages: p.h.normalPages,
        zeroPages: p.h.zeroPages,
        nextPacketSize: payload.length,
        packetNum: p.h.packetNum,
        ramblock: p.h.ramblock,
        offsets: p.h.offsets,
      });
      parts.push(header, payload);
    }
  } finally {
    await codec.sendCleanup(state);
  }
  if (!changed) return undefined;
  const channels = seed.channels.map((c, i) => (i === channel ? parseChannel(concat(parts)) : c));
  const why = kind === 'bomb' ? `data packet ${target} of channel ${ch.id} decodes to 1024 pages more than normal_pages` : `data packet ${target} of channel ${ch.id} decodes to one page fewer than normal_pages`;
  return buildSeed(`${seed.name}+${kind}@${ch.id}.${target}`, kind, codec, seed.main, channels, { uuid: seed.uuid, mustFail: why, variantChannel: channel });
}

/**
 * A payload that starts a fresh stream of the codec and decodes to 1024
 * all-zero pages: replacing a channel's first data payload with it must be
 * refused at the packet's page limit.
 */
export async function streamStartBomb(codec: AnyMultiFDMethods, codecOptions?: Readonly<Record<string, unknown>>): Promise<Uint8Array> {
  const state = await codec.sendSetup({ id: 0, ...(codecOptions ? { options: codecOptions } : {}) });
  try {
    const zero = new Uint8Array(PAGE_SIZE);
    const prepared = await codec.sendPrepare(state, { pages: Array.from({ length: 1024 }, () => zero) });
    return concat(prepared.payload);
  } finally {
    await codec.sendCleanup(state);
  }
}

export const PROFILES: readonly WireProfile[] = [QEMU_7_2, QEMU_10];
