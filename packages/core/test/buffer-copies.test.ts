/**
 * What core keeps from its input it copies, even when the input is a Node
 * Buffer (whose slice() is a view, not a copy): readers reuse their buffers.
 */
import { describe, expect, it } from 'vitest';
import { ChannelFramer, MainStreamEncoder, MainStreamParser, PAGE_SIZE, PacketEncoder, decodeInitialPacket, encodeInitialPacket, parseUuid } from '../src/index.js';
import { concat, xorCodec } from './helpers.js';

describe('copies kept from Buffer input', () => {
  it('decodeInitialPacket copies the uuid', () => {
    const input = Buffer.from(encodeInitialPacket({ id: 1, uuid: parseUuid('11111111-2222-3333-4444-555555555555') }));
    const packet = decodeInitialPacket(input);
    input.fill(0xee);
    expect(Buffer.from(packet.uuid).toString('hex')).toBe('11111111222233334444555555555555');
  });

  it('MainStreamParser copies the data of a PAGE record', () => {
    const enc = new MainStreamEncoder();
    const start = enc.start([{ name: 'pc.ram', usedLength: PAGE_SIZE }]);
    enc.begin('part');
    enc.page('pc.ram', 0, new Uint8Array(PAGE_SIZE).fill(7));
    const input = Buffer.from(concat([start, enc.endOfSection()]));
    const { items } = new MainStreamParser().parse(input);
    input.fill(0xee);
    const page = items.find((i) => i.kind === 'page');
    expect(page?.kind === 'page' && page.data.every((b) => b === 7)).toBe(true);
  });

  it('ChannelFramer keeps its own copy of a header whose payload is still to come', async () => {
    const enc = new PacketEncoder({ codec: xorCodec, id: 0 });
    await enc.setup();
    const p = await enc.packet('pc.ram', [0], [new Uint8Array(PAGE_SIZE).fill(3)]);
    const header = p.header.slice();
    const wire = concat([enc.initialPacket(), header, ...p.payload]);
    const framer = new ChannelFramer({ payloadLength: (h) => h.normalPages * PAGE_SIZE });
    const first = Buffer.from(wire.subarray(0, wire.length - 10));
    framer.push(first);
    first.fill(0xee); // the reader reuses its buffer
    const frames = framer.push(Buffer.from(wire.subarray(wire.length - 10)));
    expect(frames[0]?.kind === 'packet' && Buffer.from(frames[0].headerBytes).equals(header)).toBe(true);
  });
});
