/**
 * Hostile payloads. Each case decodes the channel's earlier packets first, so
 * the bad payload meets a decoder whose stream state spans packets, then
 * hands recvPages views with guard bytes around them. A refusal must be a
 * MultifdError with a stable code; nothing may be written outside the views.
 */
import { type AnyMultiFDMethods, type MultifdErrorCode } from '@multifd/core';
import { GuardedPages, makePages, outcomeOf, rngFor, sendChannel, type SentPacket } from './harness.js';
import type { ResolvedOptions, TestApi } from './types.js';

/** The codes a refused payload may carry. */
export const PAYLOAD_ERROR_CODES: readonly MultifdErrorCode[] = ['ERR_MULTIFD_PAYLOAD_SIZE', 'ERR_MULTIFD_CORRUPT_PAYLOAD'];

/** Packets whose payloads get damaged: the channel's first (stream header) and later ones (state carried). */
const TARGETS = [0, 1, 2] as const;

interface Variant {
  name: string;
  /** Index of the packet it replaces. */
  packet: number;
  payload: Uint8Array;
  /** normal_pages the packet claims. */
  claimed: number;
}

/**
 * Decode `sent` up to packet `k` with a fresh receive state, then hand
 * recvPages `payload` in that packet's place, claiming `claimed` pages
 * (default: as many as packet `k` had). Returns what recvPages did (see
 * outcomeOf) and where it wrote outside the pages (-1: nowhere).
 */
export async function recvInPlaceOf(
  methods: AnyMultiFDMethods,
  sent: readonly SentPacket[],
  k: number,
  payload: Uint8Array,
  claimed = sent[k]!.pages.length,
): Promise<{ outcome: string; damage: number }> {
  const state = await methods.recvSetup({ id: 0 });
  const guarded = new GuardedPages(claimed);
  const recv = (p: Uint8Array, views: Uint8Array[]) =>
    methods.recvPages(state, { flags: methods.value << 1, normalPages: views.length, nextPacketSize: p.length, payload: p, pages: views });
  try {
    for (const p of sent.slice(0, k)) await recv(p.payload, new GuardedPages(p.pages.length).views);
    const outcome = await outcomeOf(() => recv(payload, guarded.views));
    return { outcome, damage: guarded.damage() };
  } finally {
    await methods.recvCleanup(state);
  }
}

/** recvInPlaceOf for each named payload: its outcome, with " and wrote outside the pages" when it did. */
export async function outcomesInPlaceOf(
  methods: AnyMultiFDMethods,
  sent: readonly SentPacket[],
  k: number,
  payloads: Readonly<Record<string, Uint8Array>>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, payload] of Object.entries(payloads)) {
    const { outcome, damage } = await recvInPlaceOf(methods, sent, k, payload);
    out[name] = damage >= 0 ? `${outcome} and wrote outside the pages` : outcome;
  }
  return out;
}

/** Variants that were not refused properly (or, with `mayDecode`, that threw something else or wrote outside). */
async function failures(methods: AnyMultiFDMethods, before: readonly SentPacket[], variants: readonly Variant[], mayDecode = false): Promise<string[]> {
  const out: string[] = [];
  for (const v of variants) {
    const { outcome, damage } = await recvInPlaceOf(methods, before, v.packet, v.payload, v.claimed);
    const accepted = PAYLOAD_ERROR_CODES.includes(outcome as MultifdErrorCode) || (mayDecode && outcome === 'ok');
    if (!accepted) out.push(`${v.name} (packet ${v.packet}): ${outcome === 'ok' ? 'decoded without error' : outcome}`);
    if (damage >= 0) out.push(`${v.name} (packet ${v.packet}): wrote outside the pages (guard byte ${damage})`);
  }
  return out;
}

function flipped(payload: Uint8Array, at: number, mask: number): Uint8Array {
  const out = payload.slice();
  out[at]! ^= mask;
  return out;
}

export function hostileTests(methods: AnyMultiFDMethods, { describe, it, expect }: TestApi, opts: ResolvedOptions): void {
  const rng = rngFor(opts.seed, 'hostile');
  // Mixed pages, incompressible ones (stored or raw blocks), compressible ones.
  const plan = [makePages(rng, 12), makePages(rng, 20, ['random']), makePages(rng, 12, ['text', 'code'])];
  let base: Promise<SentPacket[]> | undefined;
  const sent = () => (base ??= sendChannel(methods, 0, plan).then((c) => c.sent));

  /** The payload of packet `k` when that packet carries `pages` instead (same earlier packets). */
  const payloadWith = async (k: number, pages: Uint8Array[]) => (await sendChannel(methods, 0, [...plan.slice(0, k), pages])).sent[k]!.payload;

  const each = async (make: (payload: Uint8Array, k: number) => Variant[] | Promise<Variant[]>) => {
    const all = await sent();
    const variants: Variant[] = [];
    for (const k of TARGETS) variants.push(...(await make(all[k]!.payload, k)));
    return { all, variants };
  };

  describe('hostile payloads', () => {
    it('refuses truncated payloads', async () => {
      expect.hasAssertions();
      const { all, variants } = await each((p, k) =>
        [...new Set([0, 1, p.length >> 1, p.length - 1])].map((n) => ({ name: `first ${n} of ${p.length} bytes`, packet: k, payload: p.subarray(0, n), claimed: plan[k]!.length })),
      );
      expect(await failures(methods, all, variants)).toEqual([]);
    });

    const headers = opts.capabilities.detectsCorruption;
    it(
      headers
        ? 'refuses payloads whose first bytes (stream and block headers) are flipped'
        : 'survives payloads whose first bytes are flipped: a MultifdError or a decode, never a write outside',
      async () => {
        expect.hasAssertions();
        const { all, variants } = await each((p, k) =>
          [0, 1, 2].map((at) => ({ name: `byte ${at} ^ 0xff`, packet: k, payload: flipped(p, at, 0xff), claimed: plan[k]!.length })),
        );
        expect(await failures(methods, all, variants, !headers)).toEqual([]);
      },
    );

    it('survives bytes flipped anywhere in a payload: a MultifdError or a decode, never another exception or a write outside', async () => {
      expect.hasAssertions();
      const { all, variants } = await each((p, k) =>
        Array.from({ length: 24 }, (_, i) => Math.floor((p.length * i) / 24)).flatMap((at) =>
          [0xff, 0x10].map((mask) => ({ name: `byte ${at} ^ 0x${mask.toString(16)}`, packet: k, payload: flipped(p, at, mask), claimed: plan[k]!.length })),
        ),
      );
      expect(await failures(methods, all, variants, true)).toEqual([]);
    });

    it('refuses payloads with extra bytes', async () => {
      expect.hasAssertions();
      const extras: Record<string, (p: Uint8Array) => Uint8Array> = {
        'one 00 byte': () => Uint8Array.of(0),
        'one ff byte': () => Uint8Array.of(0xff),
        '00 00 ff ff': () => Uint8Array.of(0, 0, 0xff, 0xff),
        'seven random bytes': () => Uint8Array.of(0x3c, 0x91, 0x07, 0xee, 0x52, 0x18, 0xa4),
        'the payload again': (p) => p,
      };
      const { all, variants } = await each((p, k) =>
        Object.entries(extras).map(([name, extra]) => ({ name: `payload + ${name}`, packet: k, payload: Buffer.concat([p, extra(p)]), claimed: plan[k]!.length })),
      );
      expect(await failures(methods, all, variants)).toEqual([]);
    });

    it('refuses payloads that decode to more pages than normal_pages', async () => {
      expect.hasAssertions();
      const extra = rngFor(opts.seed, 'more-pages');
      const { all, variants } = await each(async (_, k) => {
        const pages = plan[k]!;
        return [
          { name: 'one page more', packet: k, payload: await payloadWith(k, [...pages, ...makePages(extra, 1)]), claimed: pages.length },
          { name: 'five pages more', packet: k, payload: await payloadWith(k, [...pages, ...makePages(extra, 5)]), claimed: pages.length },
          { name: 'twice the pages, claiming one', packet: k, payload: await payloadWith(k, pages.slice(0, 2)), claimed: 1 },
        ];
      });
      expect(await failures(methods, all, variants)).toEqual([]);
    });

    it('refuses payloads that decode to fewer pages than normal_pages', async () => {
      expect.hasAssertions();
      const { all, variants } = await each(async (_, k) => {
        const pages = plan[k]!;
        return [
          { name: 'one page less', packet: k, payload: await payloadWith(k, pages.slice(0, -1)), claimed: pages.length },
          { name: 'one page of many', packet: k, payload: await payloadWith(k, pages.slice(0, 1)), claimed: pages.length },
        ];
      });
      expect(await failures(methods, all, variants)).toEqual([]);
    });
  });
}
