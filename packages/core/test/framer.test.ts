import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChannelFramer, MultifdError, PAGE_SIZE, PACKET_HEADER_SIZE, PacketEncoder, Prng, fillMemory, pageViews, type ChannelFrame } from '../src/index.js';
import { codeOf, concat, errorOf, xorCodec } from './helpers.js';

/** A channel (id 1) of the xor codec: pages, a SYNC, pages with SYNC, 128 pages (unless `small`), a SYNC. */
async function channel(small = false): Promise<Uint8Array> {
  const memory = new Uint8Array(256 * PAGE_SIZE);
  fillMemory(memory, 'framer', { random: 1, text: 1 });
  const enc = new PacketEncoder({ codec: xorCodec, id: 1 });
  await enc.setup();
  const parts = [enc.initialPacket()];
  const send = async (offsets: number[], sync = false) => {
    const p = await enc.packet('pc.ram', offsets, pageViews(memory, offsets), { sync });
    parts.push(p.header.slice(), ...p.payload.map((r) => r.slice()));
    p.lease.release();
  };
  const sync = async () => {
    const p = await enc.sync();
    p.lease.release();
    return p.header.slice();
  };
  await send([0, 4096, 8192]);
  parts.push(await sync());
  await send([40960], true);
  if (!small) await send(Array.from({ length: 128 }, (_, i) => (128 + i) * PAGE_SIZE));
  parts.push(await sync());
  await enc.close();
  return concat(parts);
}

const framer = () => new ChannelFramer({ payloadLength: (h) => h.normalPages * PAGE_SIZE });

/**
 * Frames with their bytes replaced by a digest (and their leases released):
 * a frame's payload may be a view of the pushed chunk, and deep-comparing
 * 512 KiB arrays is slow.
 */
const frozen = (frames: ChannelFrame[]) =>
  frames.map((f) => {
    if (f.kind !== 'packet') return f;
    const { lease, ...rest } = f;
    const frame = { ...rest, payload: digest(f.payload), headerBytes: digest(f.headerBytes) };
    lease.release(); // digested: the framer may reuse its spill buffer
    return frame;
  });
const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('ChannelFramer', () => {
  it('splits a channel into its initial packet and packets', async () => {
    const wire = await channel();
    const f = framer();
    const frames = f.push(wire);
    f.finish();
    expect(frames.map((fr) => (fr.kind === 'init' ? `init ${fr.packet.id}` : `${fr.index}: ${fr.header.normalPages} pages, flags ${fr.header.flags}, ${fr.payload.length} bytes at ${fr.at}`))).toEqual([
      'init 1',
      `0: 3 pages, flags 12, ${3 * PAGE_SIZE} bytes at 64`,
      `1: 0 pages, flags 1, 0 bytes at ${64 + PACKET_HEADER_SIZE + 3 * PAGE_SIZE}`,
      `2: 1 pages, flags 13, ${PAGE_SIZE} bytes at ${64 + 2 * PACKET_HEADER_SIZE + 3 * PAGE_SIZE}`,
      `3: 128 pages, flags 12, ${128 * PAGE_SIZE} bytes at ${64 + 3 * PACKET_HEADER_SIZE + 4 * PAGE_SIZE}`,
      `4: 0 pages, flags 1, 0 bytes at ${64 + 4 * PACKET_HEADER_SIZE + 132 * PAGE_SIZE}`,
    ]);
    expect([f.channel, f.packets, f.offset]).toEqual([1, 5, wire.length]);
  });

  it('gives the same frames when fed one byte at a time', async () => {
    const wire = await channel(true);
    const whole = frozen(framer().push(wire));
    const f = framer();
    const frames: ReturnType<typeof frozen> = [];
    for (let i = 0; i < wire.length; i++) frames.push(...frozen(f.push(wire.subarray(i, i + 1))));
    f.finish();
    expect(frames).toEqual(whole);
  });

  it('gives the same frames for chunks of random sizes', async () => {
    const wire = await channel();
    const whole = frozen(framer().push(wire));
    const rng = new Prng('framer-chunks');
    const f = framer();
    const frames: ReturnType<typeof frozen> = [];
    for (let at = 0; at < wire.length; ) {
      const n = 1 + rng.below(3000);
      frames.push(...frozen(f.push(wire.subarray(at, at + n))));
      at += n;
    }
    expect(frames).toEqual(whole);
  });

  it('asks payloadLength only for packets with pages, and passes on its refusal with the location', async () => {
    const wire = await channel();
    const asked: number[] = [];
    const f = new ChannelFramer({ payloadLength: (h) => (asked.push(h.normalPages), h.normalPages * PAGE_SIZE) });
    f.push(wire);
    expect(asked).toEqual([3, 1, 128]);
    const refusing = new ChannelFramer({
      stream: 'ch1.bin',
      payloadLength: () => {
        throw new MultifdError('ERR_MULTIFD_METHOD_MISMATCH', 'another method');
      },
    });
    // The initial packet is good: push() returns it, and the refusal comes at the next call.
    const e = errorOf(() => {
      refusing.push(wire);
      refusing.finish();
    });
    expect([e.code, e.location.stream, e.location.channel, e.location.packet, e.location.byteOffset]).toEqual(['ERR_MULTIFD_METHOD_MISMATCH', 'ch1.bin', 1, 0, 64]);
  });

  it('refuses a channel that ends inside its initial packet, a header or a payload', async () => {
    const wire = await channel();
    const endAfter = (n: number) => {
      const f = framer();
      f.push(wire.subarray(0, n));
      return codeOf(() => f.finish());
    };
    expect([10, 64 + 100, 64 + PACKET_HEADER_SIZE + 5].map(endAfter)).toEqual(Array(3).fill('ERR_MULTIFD_TRUNCATED'));
    expect([0].map(endAfter)).toEqual(['ERR_MULTIFD_TRUNCATED']);
    expect([64, 64 + PACKET_HEADER_SIZE + 3 * PAGE_SIZE].map(endAfter)).toEqual(['no error', 'no error']);
  });

  it('refuses a bad initial packet and a bad header with their codes and places', async () => {
    const wire = await channel();
    const badInit = wire.slice();
    badInit[0] = 0x51;
    expect(codeOf(() => framer().push(badInit))).toBe('ERR_MULTIFD_BAD_MAGIC');
    const badHeader = wire.slice();
    badHeader[64 + 4 + 3] = 2; // version 2
    const f = framer();
    const e = errorOf(() => {
      f.push(badHeader);
      f.finish();
    });
    expect([e.code, e.location.channel, e.location.packet, e.location.byteOffset]).toEqual(['ERR_MULTIFD_BAD_VERSION', 1, 0, 68]);
  });

  it('returns the good frames before bad bytes and throws at the next call, so chunking does not change what comes out', async () => {
    const wire = await channel(true);
    const bad = wire.slice();
    bad[64] ^= 0xff; // the first packet header's magic
    const whole = framer();
    const frames = whole.push(bad);
    expect(frames.map((f) => f.kind)).toEqual(['init']);
    expect(codeOf(() => whole.finish())).toBe('ERR_MULTIFD_BAD_MAGIC');
    const again = framer();
    again.push(bad);
    expect(codeOf(() => again.push(new Uint8Array(10)))).toBe('ERR_MULTIFD_BAD_MAGIC');
  });
});
