import { describe, expect, it } from 'vitest';
import { CodecRegistry, PAGE_SIZE, Prng, QEMU_10, QEMU_7_2, defaultRegistry } from '@multifd/core';
import { makePages, outcomeOf, recvInPlaceOf, sendChannel } from '@multifd/test-suite';
import { uncompressSync } from 'lz4-napi';
import { lz4, register } from 'multifd-codec-lz4';

/** Payload sizes of a channel that sends `plan`, and the packets as sent. */
async function sendPlan(plan: Uint8Array[][]) {
  const { sent } = await sendChannel(lz4, 0, plan);
  return { sent, sizes: sent.map((p) => p.payload.length) };
}

describe('lz4: one linked-block stream per channel', () => {
  it("reaches back into the channel's earlier packets: pages sent again cost a few bytes, and decode only with the window", async () => {
    const pages = makePages(new Prng('lz4/again'), 4, ['random']);
    const { sent, sizes } = await sendPlan([pages, pages]);
    expect(sizes[0]).toBeGreaterThan(4 * PAGE_SIZE);
    expect(sizes[1]).toBeLessThan(100);
    // With the channel's first packet decoded first, the second decodes; without it, the block points before its start.
    expect((await recvInPlaceOf(lz4, sent, 1, sent[1]!.payload)).outcome).toBe('ok');
    const fresh = await lz4.recvSetup({ id: 0 });
    const views = makePages(new Prng('lz4/views'), 4);
    expect(await outcomeOf(() => lz4.recvPages(fresh, { flags: 6, normalPages: 4, nextPacketSize: sizes[1]!, payload: sent[1]!.payload, pages: views }))).toBe('ERR_MULTIFD_CORRUPT_PAYLOAD');
  });

  it("is the documented wire format: each payload decodes with plain lz4-napi, given the channel's last 64 KiB as the dictionary", async () => {
    const rng = new Prng('lz4/wire');
    // Small and large packets, so that the window spans several packets or lies inside one.
    const plan = [1, 3, 20, 2, 1, 40, 5, 1, 1, 9].map((n) => makePages(rng, n, ['text', 'code', 'sparse']));
    const { sent } = await sendPlan(plan);
    let stream = Buffer.alloc(0);
    const wrong: number[] = [];
    for (const [k, packet] of sent.entries()) {
      const dict = stream.subarray(Math.max(0, stream.length - 64 * 1024));
      const pages = Buffer.concat(packet.pages);
      const decoded = dict.length > 0 ? uncompressSync(packet.payload, dict) : uncompressSync(packet.payload);
      if (!pages.equals(decoded)) wrong.push(k);
      stream = Buffer.concat([stream, pages]);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses a payload announcing another size than its pages before decoding anything', async () => {
    const { sent } = await sendPlan([makePages(new Prng('lz4/bomb'), 2)]);
    const outcomes: Record<string, string> = {};
    for (const size of [0xffffffff, 3 * PAGE_SIZE, PAGE_SIZE]) {
      const payload = sent[0]!.payload.slice();
      new DataView(payload.buffer).setUint32(0, size, true);
      outcomes[size] = (await recvInPlaceOf(lz4, sent, 0, payload)).outcome;
    }
    expect(outcomes).toEqual({ [0xffffffff]: 'ERR_MULTIFD_PAYLOAD_SIZE', [3 * PAGE_SIZE]: 'ERR_MULTIFD_PAYLOAD_SIZE', [PAGE_SIZE]: 'ERR_MULTIFD_PAYLOAD_SIZE' });
  });
});

describe('lz4: method value 3', () => {
  it('registers itself in the default registry on import, next to any other codec in a fresh one', () => {
    expect(defaultRegistry.get(3)).toBe(lz4);
    const registry = new CodecRegistry();
    register(registry);
    expect(registry.byName('lz4').value).toBe(3);
  });

  it('is carried by both wire profiles: flags 0x06, which QEMU 10.0 does not give to qpl or uadk', () => {
    expect(QEMU_7_2.methodFlags(lz4.value)).toBe(0x06);
    expect(QEMU_10.methodFlags(lz4.value)).toBe(0x06);
  });
});
