/**
 * Round trips through the wire: one long channel, several interleaved
 * channels, every page kind, the header fields as a receiver reads them, and
 * the codec's declared shape.
 */
import { FLAG_SYNC, PAGE_KINDS, PAGES_PER_PACKET, Prng, methodOfFlags, payloadLimit, type AnyMultiFDMethods } from '@multifd/core';
import {
  BLOCK,
  ChannelReceiver,
  ChannelSender,
  makePages,
  packetSizes,
  pageMismatch,
  receiveChannel,
  rngFor,
  sendChannel,
  type ReceivedPacket,
  type SentPacket,
} from './harness.js';
import type { ResolvedOptions, TestApi } from './types.js';

/** Differences between what was sent and what arrived, one line each. */
export function compareChannel(sent: readonly SentPacket[], received: readonly ReceivedPacket[]): string[] {
  const problems: string[] = [];
  if (received.length !== sent.length) problems.push(`${received.length} packets received, ${sent.length} sent`);
  for (let i = 0; i < Math.min(sent.length, received.length); i++) {
    const mismatch = pageMismatch(sent[i]!.pages, received[i]!.pages);
    if (mismatch) problems.push(`packet ${i}: ${mismatch}`);
    if (received[i]!.guardDamage >= 0) problems.push(`packet ${i}: recvPages wrote outside the pages (guard byte ${received[i]!.guardDamage})`);
  }
  return problems;
}

/** Header fields that differ from what the wire must carry for `sent`, one line each. */
function headerProblems(methods: AnyMultiFDMethods, sent: SentPacket, got: ReceivedPacket, i: number): string[] {
  const h = got.header;
  const n = sent.pages.length;
  const want = {
    flags: (n > 0 ? methods.value << 1 : 0) | (sent.sync ? FLAG_SYNC : 0),
    pagesAlloc: PAGES_PER_PACKET,
    normalPages: n,
    ramblock: n > 0 ? BLOCK : '',
    offsets: sent.offsets.join(','),
    payloadBytes: n > 0 ? sent.payload.length : 0,
  };
  const have = { ...h, offsets: h.offsets.join(','), payloadBytes: got.payloadBytes };
  const problems = Object.entries(want)
    .filter(([key, value]) => have[key as keyof typeof have] !== value)
    .map(([key, value]) => `packet ${i}: ${key} is ${String(have[key as keyof typeof have])}, expected ${String(value)}`);
  if (n > 0 && (h.nextPacketSize !== sent.payloadSize || sent.payloadSize !== sent.payload.length)) {
    problems.push(`packet ${i}: next_packet_size ${h.nextPacketSize}, sendPrepare size ${sent.payloadSize}, payload ${sent.payload.length} bytes`);
  }
  return problems;
}

export function roundTripTests(methods: AnyMultiFDMethods, { describe, it, expect }: TestApi, opts: ResolvedOptions): void {
  describe('contract', () => {
    it('declares a lower-case name, a 3-bit method value and the six hooks', () => {
      expect.hasAssertions();
      expect(methods.name).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
      expect(Number.isInteger(methods.value) && methods.value >= 0 && methods.value <= 7).toBe(true);
      for (const hook of ['sendSetup', 'sendPrepare', 'sendCleanup', 'recvSetup', 'recvPages', 'recvCleanup'] as const) {
        expect(typeof methods[hook], hook).toBe('function');
      }
      if (methods.levels) {
        const { min, max, default: def } = methods.levels;
        expect(Number.isInteger(min) && Number.isInteger(max) && min <= def && def <= max).toBe(true);
      }
    });

    it('keeps 128 incompressible pages within the payload limit a receiver enforces', async () => {
      expect.hasAssertions();
      const pages = makePages(rngFor(opts.seed, 'limit'), PAGES_PER_PACKET, ['random']);
      const { sent } = await sendChannel(methods, 0, [pages]);
      const size = sent[0]!.payloadSize;
      const max = payloadLimit(methods, PAGES_PER_PACKET);
      expect(size).toBeLessThanOrEqual(max);
      expect(methods.payloadLength ? methods.payloadLength(PAGES_PER_PACKET, size) : size).toBe(size);
    });
  });

  describe('round trip', () => {
    it('carries 48 packets of 1..128 pages on one channel, the codec state spanning packets', async () => {
      expect.hasAssertions();
      const rng = rngFor(opts.seed, 'one-channel');
      const plan = packetSizes(rng, 48).flatMap((n, i) => (i % 12 === 11 ? [makePages(rng, n), []] : [makePages(rng, n)]));
      const { wire, sent } = await sendChannel(methods, 0, plan);
      // Fed in uneven chunks, as a socket delivers them.
      const receiver = await ChannelReceiver.open(methods, 0);
      const received: ReceivedPacket[] = [];
      for (let at = 0; at < wire.length; ) {
        const n = 1 + rng.below(300_000);
        received.push(...(await receiver.push(wire.subarray(at, at + n))));
        at += n;
      }
      receiver.finish();
      await receiver.close();
      expect(sent.filter((p) => p.pages.length > 0)).toHaveLength(48);
      expect(compareChannel(sent, received)).toEqual([]);
    });

    it('puts the method bits (value << 1) on packets with pages, only SYNC on sync packets, next_packet_size = payload size', async () => {
      expect.hasAssertions();
      const rng = rngFor(opts.seed, 'header');
      const sender = await ChannelSender.open(methods, 3);
      const sent = [
        await sender.packet(makePages(rng, 5)),
        await sender.sync(),
        await sender.packet(makePages(rng, 3), true),
        await sender.packet(makePages(rng, PAGES_PER_PACKET)),
        await sender.sync(),
        await sender.packet(makePages(rng, 1)),
      ];
      await sender.close();
      const receiver = await ChannelReceiver.open(methods, 3);
      const received = await receiver.push(Buffer.concat([sender.initialPacket(), ...sent.map((s) => s.wire)]));
      receiver.finish();
      await receiver.close();
      expect(receiver.channel).toBe(3);
      expect(received).toHaveLength(sent.length);
      expect(received.map((r) => methodOfFlags(r.header.flags))).toEqual([methods.value, 0, methods.value, methods.value, 0, methods.value]);
      expect(received.map((r) => r.header.packetNum)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
      expect(sent.flatMap((s, i) => headerProblems(methods, s, received[i]!, i))).toEqual([]);
      expect(compareChannel(sent, received)).toEqual([]);
    });

    it('keeps the state of three interleaved channels apart', async () => {
      expect.hasAssertions();
      const ids = [0, 1, 2];
      // Every state exists before any is used, and packets alternate between channels.
      const senders = await Promise.all(ids.map((id) => ChannelSender.open(methods, id)));
      const receivers = await Promise.all(ids.map((id) => ChannelReceiver.open(methods, id)));
      const rngs = ids.map((id) => rngFor(opts.seed, `channel-${id}`));
      const sent: SentPacket[][] = ids.map(() => []);
      const wire: Uint8Array[][] = senders.map((s) => [s.initialPacket()]);
      for (let step = 0; step < 16; step++) {
        for (const id of ids) {
          const rng = rngs[id]!;
          const packet = step % 5 === 4 ? await senders[id]!.sync() : await senders[id]!.packet(makePages(rng, 1 + rng.below(64)));
          sent[id]!.push(packet);
          wire[id]!.push(packet.wire);
        }
      }
      // Received in another interleaving: last channel first, a packet at a time.
      const received: ReceivedPacket[][] = ids.map(() => []);
      for (let step = 0; step < wire[0]!.length; step++) {
        for (const id of [...ids].reverse()) received[id]!.push(...(await receivers[id]!.push(wire[id]![step]!)));
      }
      for (const id of ids) {
        receivers[id]!.finish();
        await receivers[id]!.close();
        await senders[id]!.close();
      }
      expect(receivers.map((r) => r.channel)).toEqual(ids);
      expect(ids.flatMap((id) => compareChannel(sent[id]!, received[id]!).map((p) => `channel ${id}: ${p}`))).toEqual([]);
    });
  });

  describe('page kinds', () => {
    for (const kind of PAGE_KINDS) {
      it(`round-trips ${kind} pages`, async () => {
        expect.hasAssertions();
        const rng = new Prng(`${opts.seed}/kind/${kind}`);
        const plan = [1, 9, 64].map((n) => makePages(rng, n, [kind]));
        const { wire, sent } = await sendChannel(methods, 0, plan);
        expect(compareChannel(sent, await receiveChannel(methods, 0, wire))).toEqual([]);
      });
    }
  });
}
