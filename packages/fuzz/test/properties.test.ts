/**
 * Property tests (fast-check) for every decoder: the packet and initial
 * packet codecs (against the reference reading of the format), each codec's
 * recvPages (round trips into guarded page views, hostile payloads), the
 * main-stream parser and the channel framer (the same answer however the
 * bytes are chunked), and the receiver core (bit-exact RAM from any chunking).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ChannelFramer,
  MainStreamParser,
  MultifdError,
  PAGE_SIZE,
  PAGES_PER_PACKET,
  Prng,
  QEMU_10,
  QEMU_7_2,
  PAGE_KINDS,
  assembleMigration,
  checkInitialPacket,
  decodeInitialPacket,
  decodePacketHeader,
  encodeInitialPacket,
  encodePacketHeader,
  fillPage,
  methodOfFlags,
  type AnyMultiFDMethods,
} from '@multifd/core';
import {
  CODEC_TARGETS,
  GuardedSink,
  captureSeed,
  captures,
  codecSetup,
  fromChunks,
  reduceSeed,
  refChannelCheck,
  refInitialPacket,
  refPacketHeader,
  writeSynthetic,
  BY_VALUE,
  type CodecTargetName,
} from '../src/index.js';

const RUNS = Number(process.env['FC_RUNS'] ?? 100);
// One seed unless FC_SEED says otherwise: `npm test` explores the same cases
// every run (a suite must not pass or fail by luck); FC_SEED=<n> or
// FC_SEED=random explores others (fast-check prints the seed of a failure).
const SEED = process.env['FC_SEED'];
if (SEED !== 'random') fc.configureGlobal({ seed: Number(SEED ?? 20_261_208) });
/** A share of RUNS, as the whole number fast-check needs. */
const runs = (share: number, min = 10) => Math.max(min, Math.ceil(RUNS * share));

/** The code of a thrown MultifdError; anything else thrown fails the test. */
function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!MultifdError.is(e)) throw e;
    return e.code;
  }
}

async function asyncCodeOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (e) {
    if (!MultifdError.is(e)) throw e;
    return e.code;
  }
}

/** Split `bytes` at the given fractions (0..1) into chunks. */
function split(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].filter((p) => p > 0 && p < bytes.length).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out;
}

/** Byte edits to apply to a buffer: [position fraction, value]. */
const edits = fc.array(fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 });

function applyEdits(bytes: Uint8Array, e: readonly (readonly [number, number])[]): Uint8Array {
  const out = new Uint8Array(bytes);
  for (const [at, v] of e) out[Math.floor(at * out.length)] = v;
  return out;
}

const latin1Name = fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 255 });

describe('packet header codec', () => {
  const header = fc
    .record({
      flags: fc.integer({ min: 0, max: 0x0f }),
      pagesAlloc: fc.integer({ min: 0, max: PAGES_PER_PACKET }),
      packetNum: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      nextPacketSize: fc.integer({ min: 0, max: 0xffffffff }),
      ramblock: latin1Name,
      split: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
      offsets: fc.array(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { maxLength: PAGES_PER_PACKET }),
    })
    .map((h) => {
      const listed = Math.min(h.pagesAlloc, h.offsets.length);
      const normalPages = Math.floor(h.split[0] * listed);
      return { ...h, normalPages, zeroPages: listed - normalPages, offsets: h.offsets.slice(0, listed) };
    });

  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(header, (h) => {
        const d = decodePacketHeader(encodePacketHeader(h));
        const listed = h.normalPages + h.zeroPages;
        expect(d).toEqual({
          flags: h.flags,
          pagesAlloc: h.pagesAlloc,
          normalPages: h.normalPages,
          zeroPages: h.zeroPages,
          nextPacketSize: h.nextPacketSize,
          packetNum: h.packetNum,
          ramblock: listed > 0 ? h.ramblock : '',
          offsets: h.offsets,
        });
      }),
      { numRuns: runs(1) },
    );
  });

  it('accepts and rejects exactly what the format says, with a code the format allows', () => {
    fc.assert(
      fc.property(header, edits, fc.integer({ min: 0, max: 1344 }), (h, e, len) => {
        const bytes = applyEdits(encodePacketHeader(h), e).subarray(0, len);
        const ref = refPacketHeader(bytes);
        let decoded;
        let code = 'ok';
        try {
          decoded = decodePacketHeader(bytes);
        } catch (err) {
          if (!MultifdError.is(err)) throw err;
          code = err.code;
        }
        if (ref.ok) {
          expect(code).toBe('ok');
          expect(decoded).toEqual(ref.value);
        } else {
          expect([...ref.codes]).toContain(code);
        }
      }),
      { numRuns: runs(5) },
    );
  });
});

describe('initial packet codec', () => {
  it('round-trips ids and uuids, and checks a channel exactly as the rules say', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 1, max: 255 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 4 }),
        fc.boolean(),
        (id, uuid, channels, other, seenIds, sameUuid) => {
          const p = decodeInitialPacket(encodeInitialPacket({ id, uuid }));
          expect(p.id).toBe(id);
          expect([...p.uuid]).toEqual([...uuid]);
          const expect_ = { channels, uuid: sameUuid ? uuid : other, seen: new Set(seenIds) };
          const ref = refChannelCheck({ id, uuid }, expect_);
          const code = codeOf(() => checkInitialPacket(p, expect_));
          if (ref.ok) expect(code).toBe('ok');
          else expect([...ref.codes]).toContain(code);
        },
      ),
      { numRuns: runs(3) },
    );
  });

  it('decodes any 0-64 bytes the way the reference does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), edits, fc.integer({ min: 0, max: 64 }), (id, e, len) => {
        const bytes = applyEdits(encodeInitialPacket({ id }), e).subarray(0, len);
        const ref = refInitialPacket(bytes);
        const code = codeOf(() => decodeInitialPacket(bytes));
        if (ref.ok) expect(code).toBe('ok');
        else expect([...ref.codes]).toContain(code);
      }),
      { numRuns: runs(3) },
    );
  });
});

/** Pages of the given kinds, deterministic for `seed`. */
function pagesOf(kinds: readonly number[], seed: number): Uint8Array[] {
  const rng = new Prng(seed);
  return kinds.map((k) => {
    const page = new Uint8Array(PAGE_SIZE);
    fillPage(page, PAGE_KINDS[k % PAGE_KINDS.length]!, rng);
    return page;
  });
}

/** `n` page views in guarded memory: one run, or pages separated by guard pages. Returns the views and a guard check. */
function guardedViews(n: number, scattered: boolean): { views: Uint8Array[]; intact: () => boolean } {
  const stride = scattered ? 2 * PAGE_SIZE : PAGE_SIZE;
  const mem = new Uint8Array(PAGE_SIZE + n * stride + PAGE_SIZE).fill(0xa5);
  const views = Array.from({ length: n }, (_, i) => mem.subarray(PAGE_SIZE + i * stride, PAGE_SIZE + i * stride + PAGE_SIZE));
  const intact = () => {
    const inside = new Set(views.map((v) => v.byteOffset));
    for (let at = 0; at < mem.length; at += PAGE_SIZE) {
      if (inside.has(at)) continue;
      for (let i = at; i < at + PAGE_SIZE && i < mem.length; i++) if (mem[i] !== 0xa5) return false;
    }
    return true;
  };
  return { views, intact };
}

async function payloadOf(codec: AnyMultiFDMethods, state: unknown, pages: Uint8Array[]): Promise<Uint8Array> {
  const p = await codec.sendPrepare(state, { pages });
  const out = new Uint8Array(p.size);
  let at = 0;
  for (const r of p.payload) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}

describe.each(CODEC_TARGETS.map((t) => [t]))('%s recvPages', (name: CodecTargetName) => {
  const packets = fc.array(fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 24 }), { minLength: 1, maxLength: 3 });

  it('decodes a channel of packets bit-exact into any layout of page views, writing nowhere else', async () => {
    const { codec } = await codecSetup(name);
    await fc.assert(
      fc.asyncProperty(packets, fc.integer(), fc.boolean(), async (kinds, seed, scattered) => {
        const send = await codec.sendSetup({ id: 0 });
        const recv = await codec.recvSetup({ id: 0 });
        try {
          for (const [i, k] of kinds.entries()) {
            const pages = pagesOf(k, seed + i);
            const payload = await payloadOf(codec, send, pages);
            const { views, intact } = guardedViews(pages.length, scattered);
            await codec.recvPages(recv, { flags: codec.value << 1, normalPages: pages.length, nextPacketSize: payload.length, payload, pages: views });
            expect(intact()).toBe(true);
            views.forEach((v, j) => expect(Buffer.from(v).equals(pages[j]!)).toBe(true));
          }
        } finally {
          await codec.sendCleanup(send);
          await codec.recvCleanup(recv);
        }
      }),
      { numRuns: runs(1 / 4) },
    );
  });

  it('answers a damaged payload with a typed error or the right number of bytes, never writing past its views', async () => {
    const { codec, traits } = await codecSetup(name);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 16 }),
        fc.integer(),
        fc.oneof(
          fc.record({ kind: fc.constant('cut' as const), n: fc.integer({ min: 1, max: 64 }) }),
          fc.record({ kind: fc.constant('edit' as const), e: edits }),
          fc.record({ kind: fc.constant('pages' as const), delta: fc.integer({ min: -15, max: 8 }).filter((d) => d !== 0) }),
          fc.record({ kind: fc.constant('append' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
        ),
        fc.boolean(),
        async (kinds, seed, damage, scattered) => {
          const send = await codec.sendSetup({ id: 0 });
          const recv = await codec.recvSetup({ id: 0 });
          try {
            const pages = pagesOf(kinds, seed);
            let payload = await payloadOf(codec, send, pages);
            let n = pages.length;
            let mustFail = false;
            if (damage.kind === 'cut') {
              const cut = Math.min(damage.n, payload.length);
              payload = payload.subarray(0, payload.length - cut);
              mustFail = !traits.compressed || cut !== traits.harmlessCut;
            } else if (damage.kind === 'edit') {
              payload = applyEdits(payload, damage.e);
            } else if (damage.kind === 'pages') {
              n = Math.max(1, n + damage.delta);
              mustFail = n !== pages.length;
            } else {
              const out = new Uint8Array(payload.length + damage.extra.length);
              out.set(payload);
              out.set(damage.extra, payload.length);
              payload = out;
              mustFail = !traits.compressed;
            }
            const { views, intact } = guardedViews(n, scattered);
            const code = await asyncCodeOf(async () => codec.recvPages(recv, { flags: codec.value << 1, normalPages: n, nextPacketSize: payload.length, payload, pages: views }));
            expect(intact()).toBe(true);
            if (mustFail) expect(code).not.toBe('ok');
            if (code !== 'ok') expect(code).toMatch(/^ERR_MULTIFD_(PAYLOAD_SIZE|CORRUPT_PAYLOAD)$/);
          } finally {
            await codec.sendCleanup(send);
            await codec.recvCleanup(recv);
          }
        },
      ),
      { numRuns: runs(1) },
    );
  });
});

describe('main-stream parser', () => {
  const mains = captures().map((cap) => captureSeed(cap, BY_VALUE).main);

  /** Parse `chunks` the way the receiver does (keeping what a chunk left over); items and the error code. */
  function parseChunks(chunks: readonly Uint8Array[]): { items: string[]; code: string } {
    const parser = new MainStreamParser();
    const items: string[] = [];
    let pending = new Uint8Array(0);
    try {
      for (const chunk of chunks) {
        const buf = new Uint8Array(pending.length + chunk.length);
        buf.set(pending);
        buf.set(chunk, pending.length);
        const r = parser.parse(buf);
        // A run of ZERO records may come as one item or several: compare record by record.
        for (const it of r.items) {
          const any = it as { kind: string; at: number; offset?: number; offsets?: number[] };
          if (any.offsets) for (const off of any.offsets) items.push(`zero ${off}`);
          else if (any.kind === 'zero') items.push(`zero ${any.offset}`);
          else items.push(`${any.kind} ${any.kind === 'page' ? any.offset : any.at}`);
        }
        pending = buf.slice(r.consumed);
      }
      parser.finish(pending.length);
      return { items, code: 'ok' };
    } catch (e) {
      if (!MultifdError.is(e)) throw e;
      return { items: [], code: e.code };
    }
  }

  it('gives the same records and the same verdict however a (damaged) main stream is chunked', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: mains.length - 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        edits,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        (which, keep, e, cuts) => {
          // The RAM part of a real main stream, or a prefix of it, with a few bytes changed.
          const main = mains[which]!;
          const bytes = applyEdits(main.subarray(0, Math.max(8, Math.floor(keep * main.length))), e.map(([at, v]) => [at * 0.2, v] as const));
          const whole = parseChunks([bytes]);
          const chunked = parseChunks(split(bytes, cuts));
          expect(chunked.code).toBe(whole.code);
          expect(chunked.items).toEqual(whole.items);
        },
      ),
      { numRuns: runs(1 / 2) },
    );
  });
});

describe('channel framer', () => {
  const channels = captures()
    .map((cap) => reduceSeed(captureSeed(cap, BY_VALUE), BY_VALUE.get(0)!, { dataPackets: 1, zeroOnlyPackets: 2, zeroRecords: 0, tail: 0 }, ''))
    .flatMap((s) => s.channels.map((ch) => ({ ch, compressed: s.method !== 0 })));

  function frame(chunks: readonly Uint8Array[], compressed: boolean): string[] {
    const framer = new ChannelFramer({ payloadLength: (h) => (compressed ? h.nextPacketSize : h.normalPages * PAGE_SIZE) });
    const out: string[] = [];
    try {
      for (const c of chunks) for (const f of framer.push(c)) out.push(f.kind === 'init' ? `init ${f.packet.id}` : `packet ${f.at} ${f.header.normalPages} ${f.payload.length} ${f.payload[0]}`);
      framer.finish();
      out.push('end');
    } catch (e) {
      if (!MultifdError.is(e)) throw e;
      out.push(e.code);
    }
    return out;
  }

  it('gives the same frames and the same verdict however a (damaged) channel is chunked', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: channels.length - 1 }),
        edits,
        fc.integer({ min: 0, max: 3000 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 16 }),
        (which, e, cut, cuts) => {
          const { ch, compressed } = channels[which]!;
          const parts = [ch.init, ...ch.packets.flatMap((p) => [p.header, p.payload])];
          const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of parts) {
            whole.set(p, at);
            at += p.length;
          }
          const bytes = applyEdits(whole, e.map(([x, v]) => [x * 0.01, v] as const)).subarray(0, Math.max(0, whole.length - cut));
          expect(frame(split(bytes, cuts), compressed)).toEqual(frame([bytes], compressed));
        },
      ),
      { numRuns: runs(1) },
    );
  });
});

describe('receiver core (assembleMigration)', () => {
  it('rebuilds every RAMBlock bit-exact from any migration, however its streams are chunked and ordered', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CODEC_TARGETS),
        fc.constantFrom(QEMU_7_2, QEMU_10),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 12 }),
        fc.string({ maxLength: 8 }),
        fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), { minLength: 4, maxLength: 4 }),
        fc.boolean(),
        async (name, profile, channels, ramPages, label, cuts, reverse) => {
          const setup = await codecSetup(name);
          const w = await writeSynthetic({ codec: setup.codec, profile, channels, ramPages, label: `prop/${label}` });
          const sink = new GuardedSink({ maxBlockBytes: 1 << 24, unknownBlockBytes: 1 << 24 });
          const inputs = w.channels.map((bytes, i) => ({ label: `ch${i}`, source: fromChunks(split(bytes, cuts[i + 1] ?? [])) }));
          if (reverse) inputs.reverse();
          const report = await assembleMigration({
            main: { label: 'main', source: fromChunks(split(w.main, cuts[0]!)) },
            channels: inputs,
            registry: setup.registry,
            sink,
            method: setup.codec.value,
            channelCount: channels,
          });
          expect(sink.check()).toEqual([]);
          expect(report.method?.value).toBe(methodOfFlags(setup.codec.value << 1));
          for (const b of w.blocks) {
            expect(report.ramblocks.find((r) => r.name === b.name)?.missing).toBe(0);
            expect(Buffer.from(sink.block(b.name)!).equals(Buffer.from(b.memory))).toBe(true);
          }
        },
      ),
      { numRuns: runs(1 / 3) },
    );
  });
});
