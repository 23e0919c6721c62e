/**
 * The sending and receiving ends of a channel as the suite drives them: pages
 * go out through core's PacketEncoder (so flags and next_packet_size are set
 * by the same code as in a real migration) and come back through core's
 * ChannelFramer (so the header is decoded from the wire bytes), then into the
 * codec's recvPages with page views that have guard bytes around them.
 */
import {
  ChannelFramer,
  MultifdError,
  PAGE_KINDS,
  PAGE_SIZE,
  PacketEncoder,
  Prng,
  fillPage,
  payloadLength as corePayloadLength,
  type AnyMultiFDMethods,
  type PacketHeader,
  type PageKind,
} from '@multifd/core';

/** The RAMBlock every suite packet names. */
export const BLOCK = 'pc.ram';

/** Byte the guard areas around page views are filled with. */
const GUARD = 0xa5;

/** `count` pages, each of a kind drawn from `kinds`. */
export function makePages(rng: Prng, count: number, kinds: readonly PageKind[] = PAGE_KINDS): Uint8Array[] {
  return Array.from({ length: count }, () => {
    const page = new Uint8Array(PAGE_SIZE);
    fillPage(page, kinds[rng.below(kinds.length)]!, rng);
    return page;
  });
}

/** `n` packet sizes in 1..128: 1 and 128 first, then random ones. */
export function packetSizes(rng: Prng, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i === 0 ? 1 : i === 1 ? 128 : 1 + rng.below(128)));
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The payload length a receiver reads for `header`, capped the way core's assembler caps it. */
export function payloadLength(methods: AnyMultiFDMethods, header: PacketHeader): number {
  return corePayloadLength(methods, header.normalPages, header.nextPacketSize);
}

/**
 * `count` page views inside one buffer, with a page of guard bytes before,
 * between and after them: a decoder that writes outside its views (or
 * ignores a view's byteOffset) damages a guard.
 */
export class GuardedPages {
  readonly views: Uint8Array[];
  readonly #buffer: Uint8Array;

  constructor(count: number) {
    this.#buffer = new Uint8Array((2 * count + 1) * PAGE_SIZE).fill(GUARD);
    this.views = Array.from({ length: count }, (_, i) => this.#buffer.subarray((2 * i + 1) * PAGE_SIZE, (2 * i + 2) * PAGE_SIZE));
  }

  /** Offset in the buffer of the first changed guard byte, or -1. */
  damage(): number {
    for (let g = 0; g < this.#buffer.length; g += 2 * PAGE_SIZE) {
      for (let i = g; i < g + PAGE_SIZE; i++) if (this.#buffer[i] !== GUARD) return i;
    }
    return -1;
  }
}

/** The first difference between sent and received pages, described; undefined when equal. */
export function pageMismatch(expected: readonly Uint8Array[], actual: readonly Uint8Array[]): string | undefined {
  if (expected.length !== actual.length) return `${actual.length} pages received, ${expected.length} sent`;
  for (let p = 0; p < expected.length; p++) {
    const a = actual[p]!;
    const e = expected[p]!;
    if (a.length !== e.length) return `page ${p} has ${a.length} bytes`;
    if (!Buffer.from(a.buffer, a.byteOffset, a.length).equals(e)) {
      const at = e.findIndex((b, i) => a[i] !== b);
      return `page ${p} differs at byte ${at}: got ${a[at]}, sent ${e[at]}`;
    }
  }
  return undefined;
}

/** What a call did: 'ok', a MultifdError code, or "threw <name>: <message>" for anything else. */
export async function outcomeOf(call: () => unknown): Promise<string> {
  try {
    await call();
    return 'ok';
  } catch (e) {
    if (MultifdError.is(e)) return e.code;
    return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
}

/** One packet as it went out. */
export interface SentPacket {
  pages: Uint8Array[];
  offsets: number[];
  sync: boolean;
  /** Header and payload, copied. */
  wire: Uint8Array;
  /** The payload alone, copied. */
  payload: Uint8Array;
  /** What sendPrepare said the payload size is. */
  payloadSize: number;
}

/** A channel's sending end: a PacketEncoder and a cursor for page offsets. */
export class ChannelSender {
  readonly encoder: PacketEncoder;
  #page = 0;

  private constructor(encoder: PacketEncoder) {
    this.encoder = encoder;
  }

  static async open(methods: AnyMultiFDMethods, id: number, level?: number): Promise<ChannelSender> {
    const encoder = new PacketEncoder({ codec: methods, id, ...(level !== undefined ? { level } : {}) });
    await encoder.setup();
    return new ChannelSender(encoder);
  }

  initialPacket(): Uint8Array {
    return this.encoder.initialPacket();
  }

  /** A packet of `pages` at the next offsets of BLOCK (or a SYNC packet when `pages` is empty and `sync`). */
  async packet(pages: Uint8Array[], sync = false): Promise<SentPacket> {
    const offsets = pages.map((_, i) => (this.#page + i) * PAGE_SIZE);
    this.#page += pages.length;
    const p = await this.encoder.packet(BLOCK, offsets, pages, { sync });
    const payload = concat(p.payload);
    p.lease.release(); // copied: the codec may reuse its buffers
    return { pages, offsets, sync, wire: concat([p.header, payload]), payload, payloadSize: p.payloadSize };
  }

  async sync(): Promise<SentPacket> {
    return this.packet([], true);
  }

  close(): Promise<void> {
    return this.encoder.close();
  }
}

/** One packet as the receiving end saw it. */
export interface ReceivedPacket {
  header: PacketHeader;
  /** Payload bytes the framer read. */
  payloadBytes: number;
  /** The decoded pages (views of a guarded buffer). */
  pages: Uint8Array[];
  /** GuardedPages.damage() after recvPages: -1 when no guard byte changed. */
  guardDamage: number;
}

/** A channel's receiving end: a ChannelFramer and the codec's receive state. */
export class ChannelReceiver {
  readonly #methods: AnyMultiFDMethods;
  readonly #framer: ChannelFramer;
  readonly #state: unknown;
  channel: number | undefined;

  private constructor(methods: AnyMultiFDMethods, state: unknown) {
    this.#methods = methods;
    this.#state = state;
    this.#framer = new ChannelFramer({ payloadLength: (h) => payloadLength(methods, h) });
  }

  static async open(methods: AnyMultiFDMethods, id: number): Promise<ChannelReceiver> {
    return new ChannelReceiver(methods, await methods.recvSetup({ id }));
  }

  /** Frame `bytes` and decode every packet they complete. */
  async push(bytes: Uint8Array): Promise<ReceivedPacket[]> {
    const out: ReceivedPacket[] = [];
    for (const frame of this.#framer.push(bytes)) {
      if (frame.kind === 'init') {
        this.channel = frame.packet.id;
        continue;
      }
      const { header, payload } = frame;
      const guarded = new GuardedPages(header.normalPages);
      if (header.normalPages > 0) {
        await this.#methods.recvPages(this.#state, {
          flags: header.flags,
          normalPages: header.normalPages,
          nextPacketSize: header.nextPacketSize,
          payload,
          pages: guarded.views,
        });
      }
      out.push({ header, payloadBytes: payload.length, pages: guarded.views, guardDamage: guarded.damage() });
    }
    return out;
  }

  /** The channel ended: an error unless it ended between packets. */
  finish(): void {
    this.#framer.finish();
  }

  async close(): Promise<void> {
    await this.#methods.recvCleanup(this.#state);
  }
}

/** Send `plan` (lists of pages; an empty list is a SYNC packet) on one channel; returns the wire bytes. */
export async function sendChannel(
  methods: AnyMultiFDMethods,
  id: number,
  plan: readonly Uint8Array[][],
  level?: number,
): Promise<{ wire: Uint8Array; sent: SentPacket[] }> {
  const sender = await ChannelSender.open(methods, id, level);
  try {
    const sent: SentPacket[] = [];
    for (const pages of plan) sent.push(await (pages.length > 0 ? sender.packet(pages) : sender.sync()));
    return { wire: concat([sender.initialPacket(), ...sent.map((s) => s.wire)]), sent };
  } finally {
    await sender.close();
  }
}

/** Receive a whole channel's bytes; returns every packet. */
export async function receiveChannel(methods: AnyMultiFDMethods, id: number, wire: Uint8Array): Promise<ReceivedPacket[]> {
  const receiver = await ChannelReceiver.open(methods, id);
  try {
    const packets = await receiver.push(wire);
    receiver.finish();
    return packets;
  } finally {
    await receiver.close();
  }
}

/** A seeded random source for one test: the same pages on every run. */
export function rngFor(seed: string, test: string): Prng {
  return new Prng(`${seed}/${test}`);
}
