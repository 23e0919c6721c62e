/**
 * Codecs for testing the suite itself: a small correct one with enough
 * structure to be checked ("rot"), a raw one that reads QEMU's nocomp
 * captures, and broken variants of both, each with one fault the suite
 * must find.
 */
import { crc32 } from 'node:zlib';
import { MultifdError, PAGE_SIZE, defineCodec, resolveLevel, type AnyMultiFDMethods, type ChannelContext, type ReceivedPacket } from '@multifd/core';

const MAGIC = 0x52; // 'R'
const HEADER = 4; // magic, sequence number, page count, level
const TRAILER = 4; // crc32 of the plain pages

interface RotState {
  channel: number;
  level: number;
  seq: number;
  closed: boolean;
}

const LEVELS = { min: 1, max: 3, default: 1 } as const;

/** How far a packet's pages are rotated: depends on the sequence number, so state spans packets. */
function shift(seq: number, level: number): number {
  return (seq * 131 + level * 7 + 1) % PAGE_SIZE;
}

function rotate(from: Uint8Array, to: Uint8Array, by: number): void {
  to.set(from.subarray(by), 0);
  to.set(from.subarray(0, by), PAGE_SIZE - by);
}

function live(state: RotState, hook: string): void {
  if (state.closed) throw new MultifdError('ERR_MULTIFD_STATE', `rot: ${hook} after cleanup`);
}

function open(channel: ChannelContext): RotState {
  return { channel: channel.id, level: resolveLevel({ name: 'rot', levels: LEVELS }, channel.level)!, seq: 0, closed: false };
}

/**
 * Method 5, "rot": per packet a header (magic, the channel's packet sequence
 * number, page count, level), the pages rotated by an amount that depends on
 * the sequence number (so state spans packets), and a crc32 of the pages.
 */
export const rotCodec = defineCodec<RotState, RotState>({
  name: 'rot',
  value: 5,
  levels: LEVELS,
  payloadLength: (_n, size) => size,
  maxPayloadSize: (n) => HEADER + n * PAGE_SIZE + TRAILER,
  sendSetup: open,
  sendPrepare(state, { pages }) {
    live(state, 'sendPrepare');
    const out = new Uint8Array(HEADER + pages.length * PAGE_SIZE + TRAILER);
    out.set([MAGIC, state.seq & 0xff, pages.length, state.level]);
    let crc = 0;
    pages.forEach((page, p) => {
      rotate(page, out.subarray(HEADER + p * PAGE_SIZE, HEADER + (p + 1) * PAGE_SIZE), shift(state.seq, state.level));
      crc = crc32(page, crc);
    });
    new DataView(out.buffer).setUint32(out.length - TRAILER, crc);
    state.seq++;
    return { payload: [out], size: out.length };
  },
  sendCleanup(state) {
    state.closed = true;
  },
  recvSetup: open,
  recvPages(state, { payload, pages }) {
    live(state, 'recvPages');
    const corrupt = (what: string) => new MultifdError('ERR_MULTIFD_CORRUPT_PAYLOAD', `rot: ${what}`);
    if (payload.length !== HEADER + pages.length * PAGE_SIZE + TRAILER) {
      throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `rot: ${payload.length} payload bytes for ${pages.length} pages`);
    }
    if (payload[0] !== MAGIC) throw corrupt('bad magic');
    if (payload[1] !== (state.seq & 0xff)) throw corrupt(`packet ${payload[1]}, expected ${state.seq & 0xff}`);
    if (payload[2] !== pages.length) throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `rot: ${payload[2]} pages, expected ${pages.length}`);
    const level = payload[3]!;
    if (level < LEVELS.min || level > LEVELS.max) throw corrupt(`level ${level}`);
    const by = PAGE_SIZE - shift(state.seq, level);
    let crc = 0;
    pages.forEach((page, p) => {
      rotate(payload.subarray(HEADER + p * PAGE_SIZE, HEADER + (p + 1) * PAGE_SIZE), page, by);
      crc = crc32(page, crc);
    });
    if (crc !== new DataView(payload.buffer, payload.byteOffset).getUint32(payload.length - TRAILER)) throw corrupt('crc');
    state.seq++;
  },
  recvCleanup(state) {
    state.closed = true;
  },
});

/** Method 0 without checks beyond the length: reads QEMU's nocomp captures. */
export const rawCodec = defineCodec<object, object>({
  name: 'raw',
  value: 0,
  payloadLength: (n) => n * PAGE_SIZE,
  maxPayloadSize: (n) => n * PAGE_SIZE,
  sendSetup: () => ({}),
  sendPrepare: (_, { pages }) => ({ payload: pages, size: pages.length * PAGE_SIZE }),
  sendCleanup: () => undefined,
  recvSetup: () => ({}),
  recvPages(_, { payload, pages }) {
    if (payload.length !== pages.length * PAGE_SIZE) throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `raw: ${payload.length} bytes`);
    pages.forEach((page, i) => page.set(payload.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE)));
  },
  recvCleanup: () => undefined,
});

type RecvPages = (state: RotState, packet: ReceivedPacket) => void;

/** rot with its recvPages replaced by `wrap(inner)`. */
function withRecv(wrap: (inner: RecvPages) => RecvPages): AnyMultiFDMethods {
  return { ...rotCodec, recvPages: wrap(rotCodec.recvPages as RecvPages) };
}

/** A broken codec: what it gets wrong, and the codec. */
export interface Mutant {
  fault: string;
  /** The tests (names without the codec's describe) that must fail for it. */
  caughtBy: RegExp;
  methods: AnyMultiFDMethods;
  /** Options for codecConformance (e.g. a broken register). */
  register?: (registry: { register(m: AnyMultiFDMethods): void }) => void;
}

/** One broken codec per fault the suite looks for. Each call makes fresh ones (some keep state in closures). */
export function mutants(): Mutant[] {
  let sharedSendSeq = 0;
  let sharedRecvSeq = 0;
  return [
    { fault: 'has an upper-case name', caughtBy: /declares a lower-case name/, methods: { ...rotCodec, name: 'ROT' } },
    {
      fault: 'returns payloads larger than it declares a receiver may accept',
      caughtBy: /within the payload limit/,
      methods: { ...rotCodec, maxPayloadSize: (n: number) => n * PAGE_SIZE },
    },
    {
      fault: 'reports a payload size other than its bytes',
      caughtBy: /next_packet_size = payload size/,
      methods: {
        ...rotCodec,
        async sendPrepare(state: RotState, packet: { pages: readonly Uint8Array[] }) {
          const p = await rotCodec.sendPrepare(state, packet);
          return { payload: p.payload, size: p.size + 1 };
        },
        payloadLength: (_n: number, size: number) => size - 1,
      },
    },
    {
      fault: 'flips a bit of every page it decodes',
      caughtBy: /round-trips|carries 48 packets|three interleaved|whole migration/,
      methods: withRecv((inner) => (state, packet) => {
        inner(state, packet);
        for (const page of packet.pages) page[0]! ^= 1;
      }),
    },
    {
      fault: 'writes a byte before the first page view',
      caughtBy: /round-trips|carries 48 packets|three interleaved|whole migration/,
      methods: withRecv((inner) => (state, packet) => {
        inner(state, packet);
        const first = packet.pages[0]!;
        new Uint8Array(first.buffer, first.byteOffset - 1, 1)[0]! ^= 0xff;
      }),
    },
    {
      fault: 'keeps one sequence number for all channels',
      caughtBy: /three interleaved/,
      methods: {
        ...rotCodec,
        sendPrepare(state: RotState, packet: { pages: readonly Uint8Array[] }) {
          state.seq = sharedSendSeq++;
          return rotCodec.sendPrepare(state, packet);
        },
        recvPages(state: RotState, packet: ReceivedPacket) {
          state.seq = sharedRecvSeq++;
          return rotCodec.recvPages(state, packet);
        },
      },
    },
    {
      fault: 'breaks when a level is given',
      caughtBy: /round-trips at level/,
      methods: {
        ...rotCodec,
        sendSetup: (channel: ChannelContext) => ({ ...(rotCodec.sendSetup(channel) as RotState), level: channel.level === undefined ? 1 : 9 }),
      },
    },
    {
      fault: 'accepts any level',
      caughtBy: /outside its range/,
      methods: { ...rotCodec, sendSetup: (c: ChannelContext) => rotCodec.sendSetup({ id: c.id }) },
    },
    {
      fault: 'throws a TypeError on a bad header',
      caughtBy: /first bytes .* flipped|flipped anywhere/,
      methods: withRecv((inner) => (state, packet) => {
        if (packet.payload[0] !== MAGIC || packet.payload[1] !== (state.seq & 0xff)) throw new TypeError('bad header');
        inner(state, packet);
      }),
    },
    {
      fault: 'ignores bytes after its pages',
      caughtBy: /extra bytes/,
      methods: withRecv((inner) => (state, packet) => {
        const n = HEADER + packet.pages.length * PAGE_SIZE + TRAILER;
        inner(state, { ...packet, payload: packet.payload.length > n ? packet.payload.subarray(0, n) : packet.payload });
      }),
    },
    {
      fault: 'zero-fills a short payload',
      caughtBy: /truncated|fewer pages/,
      methods: withRecv((inner) => (state, packet) => {
        const n = HEADER + packet.pages.length * PAGE_SIZE + TRAILER;
        if (packet.payload.length >= n) return inner(state, packet);
        for (const page of packet.pages) page.fill(0);
        state.seq++;
      }),
    },
    {
      fault: 'decodes as many pages as the payload holds',
      caughtBy: /more pages|fewer pages/,
      methods: withRecv((inner) => (state, packet) => {
        const n = packet.payload[2]!;
        if (n === packet.pages.length) return inner(state, packet);
        const scratch = Array.from({ length: n }, () => new Uint8Array(PAGE_SIZE));
        inner(state, { ...packet, pages: scratch });
        packet.pages.forEach((page, i) => page.set(scratch[i] ?? new Uint8Array(PAGE_SIZE)));
      }),
    },
    {
      fault: 'works after cleanup',
      caughtBy: /after its cleanup/,
      methods: { ...rotCodec, sendCleanup: () => undefined, recvCleanup: () => undefined },
    },
    {
      fault: 'throws on a second cleanup',
      caughtBy: /safe to call twice/,
      methods: {
        ...rotCodec,
        sendCleanup(state: RotState) {
          if (state.closed) throw new Error('closed twice');
          state.closed = true;
        },
      },
    },
    { fault: 'registers nothing', caughtBy: /fresh CodecRegistry|second register|whole migration/, methods: rotCodec, register: () => undefined },
    {
      fault: 'registers twice without complaint',
      caughtBy: /second register/,
      methods: rotCodec,
      register: (registry) => {
        try {
          registry.register(rotCodec);
        } catch {
          // swallowed: the second call looks fine
        }
      },
    },
  ];
}

/** Broken copies of the raw codec for the capture checks. */
export function rawMutants(): Mutant[] {
  return [
    {
      fault: 'flips a bit of every page it decodes',
      caughtBy: /equal its bytes/,
      methods: {
        ...rawCodec,
        recvPages(state: object, packet: ReceivedPacket) {
          rawCodec.recvPages(state, packet);
          for (const page of packet.pages) page[7]! ^= 1;
        },
      },
    },
    {
      fault: 'reads one byte more than the pages',
      caughtBy: /./,
      methods: { ...rawCodec, payloadLength: (n: number) => n * PAGE_SIZE + 1, maxPayloadSize: (n: number) => n * PAGE_SIZE + 1 },
    },
    { fault: 'claims another method value', caughtBy: /in the flags/, methods: { ...rawCodec, value: 3 } },
  ];
}
