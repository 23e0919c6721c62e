/**
 * One fuzz input: a seed migration taken apart (main stream bytes, per
 * channel its initial packet and packets), mutated in place, then turned
 * back into byte chunks. Parts are shared with the seed until a mutator
 * writes to them (`ownHeader`, `ownInit`, ...), so building a case costs
 * next to nothing.
 */
import { PAGE_SIZE, isSync } from '@multifd/core';
import type { Rng } from './rng.js';
import type { MigrationSeed } from './seeds.js';

export interface PacketCase {
  header: Uint8Array;
  payload: Uint8Array;
  /** As in the seed (stale after mutations of this packet). */
  readonly normal: number;
  readonly listed: number;
  readonly sync: boolean;
  readonly ramblock: string;
  readonly offsets: readonly number[];
  ownHeader?: boolean;
}

export interface ChannelCase {
  init: Uint8Array;
  readonly id: number;
  packets: PacketCase[];
  /** Bytes appended after the last packet. */
  garbage?: Uint8Array;
  /** Stream cut after this many bytes. */
  cut?: number;
  ownInit?: boolean;
}

/** What the result must be, when a single mutation makes it decidable. */
export interface Expectation {
  /** The input is damaged in a way every receiver must detect. */
  mustFail?: string;
  /** The input only changed in ways a receiver must accept (stale fields, chunking, ...). */
  mustSucceed?: string;
  /** With mustSucceed: a page moved, so the count of distinct pages may differ from the seed's. */
  pagesMayChange?: boolean;
  /** Pages delivered nowhere else were removed: success must report fewer pages. */
  loss?: string;
}

export interface Case {
  readonly seed: MigrationSeed;
  main: Uint8Array;
  ownMain?: boolean;
  useMain: boolean;
  channels: ChannelCase[];
  /** assembleMigration's `method`, `channelCount` and `uuid` options (undefined: not passed). */
  method: number | undefined;
  channelCount: number | undefined;
  uuid: Uint8Array | undefined;
  /** Largest block without a main stream (the assembler's maxBlockBytes). */
  readonly unknownBlockBytes: number;
  notes: string[];
  expect: Expectation;
  /** Mutations applied. */
  ops: number;
}

export function caseOf(seed: MigrationSeed, rng: Rng, unknownBlockBytes: number): Case {
  const useMain = rng.chance(0.9);
  return {
    seed,
    main: seed.main,
    useMain,
    channels: seed.channels.map((ch) => ({
      init: ch.init,
      id: ch.id,
      packets: ch.packets.map((p) => ({
        header: p.header,
        payload: p.payload,
        normal: p.h.normalPages,
        listed: p.h.normalPages + p.h.zeroPages,
        sync: isSync(p.h.flags),
        ramblock: p.h.ramblock,
        offsets: p.h.offsets,
      })),
    })),
    method: rng.chance(0.5) ? seed.method : undefined,
    channelCount: rng.chance(0.8) ? seed.channels.length : undefined,
    uuid: rng.chance(0.8) ? seed.uuid : undefined,
    unknownBlockBytes,
    notes: [],
    expect: {},
    ops: 0,
  };
}

export function ownHeader(p: PacketCase): Uint8Array {
  if (!p.ownHeader) {
    p.header = new Uint8Array(p.header);
    p.ownHeader = true;
  }
  return p.header;
}

export function ownInit(ch: ChannelCase): Uint8Array {
  if (!ch.ownInit) {
    ch.init = new Uint8Array(ch.init);
    ch.ownInit = true;
  }
  return ch.init;
}

export function ownMain(c: Case): Uint8Array {
  if (!c.ownMain) {
    c.main = new Uint8Array(c.main);
    c.ownMain = true;
  }
  return c.main;
}

/** The channel's bytes in order, as views of the parts (no copy). */
export function channelParts(ch: ChannelCase): Uint8Array[] {
  const parts: Uint8Array[] = [ch.init];
  for (const p of ch.packets) {
    parts.push(p.header);
    if (p.payload.length > 0) parts.push(p.payload);
  }
  if (ch.garbage) parts.push(ch.garbage);
  if (ch.cut === undefined) return parts;
  const out: Uint8Array[] = [];
  let left = ch.cut;
  for (const p of parts) {
    if (left <= 0) break;
    out.push(p.length <= left ? p : p.subarray(0, left));
    left -= p.length;
  }
  return out;
}

export function partsLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/** Growable scratch buffers, one per stream slot, reused from input to input. */
export class Scratch {
  #bufs: Uint8Array[] = [];

  concat(slot: number, parts: readonly Uint8Array[]): Uint8Array {
    const n = partsLength(parts);
    let buf = this.#bufs[slot];
    if (!buf || buf.length < n) {
      buf = new Uint8Array(Math.max(n, 2 * (buf?.length ?? 0), 64 * 1024));
      this.#bufs[slot] = buf;
    }
    let at = 0;
    for (const p of parts) {
      buf.set(p, at);
      at += p.length;
    }
    return buf.subarray(0, n);
  }
}

/**
 * How a stream's bytes arrive: as its parts (frame by frame), as one
 * buffer, or split at random points (sometimes into tiny pieces), as a
 * socket might deliver them.
 */
export function chunkStream(parts: readonly Uint8Array[], rng: Rng, scratch: Scratch, slot: number): Uint8Array[] {
  const how = rng.below(10);
  if (how < 3) return parts.filter((p) => p.length > 0);
  const whole = scratch.concat(slot, parts);
  if (how < 6 || whole.length === 0) return [whole];
  // Random cut points, sizes log-uniform from 1 byte to 256 KiB (how 9: the
  // first few dozen chunks tiny). At most ~80 chunks: then the rest in one,
  // so a long stream does not cost thousands of reads.
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; at < whole.length && i < 80; i++) {
    const n = how === 9 && i < 48 ? rng.int(1, 64) : Math.max(1, Math.floor(2 ** (rng.below(1800) / 100)));
    chunks.push(whole.subarray(at, Math.min(whole.length, at + n)));
    at += n;
  }
  if (at < whole.length) chunks.push(whole.subarray(at));
  return chunks;
}

export async function* fromChunks(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

/** Pages a set of packets delivers that no other part of the seed delivers. */
export function uniquePages(c: Case, packets: readonly PacketCase[]): number {
  let n = 0;
  for (const p of packets) {
    for (const off of p.offsets.slice(0, p.listed)) {
      const key = `${p.ramblock}\0${off / PAGE_SIZE}`;
      const total = (c.useMain ? (c.seed.mainDeliveries.get(key) ?? 0) : 0) + (c.seed.packetDeliveries.get(key) ?? 0);
      if (total === 1) n++;
    }
  }
  return n;
}

/** Pages a clean run of this case's seed reports. */
export function expectedPages(c: Case): number {
  return c.useMain ? c.seed.distinctPages : c.seed.channelPages;
}
