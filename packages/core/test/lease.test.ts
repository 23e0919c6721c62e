/**
 * Leases on recycled buffers (src/buffers/lease.ts): a view that is held
 * keeps its bytes however the reader moves on; in poison mode (on in these
 * tests) a view used after its buffer was recycled reads nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferPool, ChannelFramer, ChunkQueue, NO_LEASE, PAGE_SIZE, PacketEncoder, fileChunks, holdAll, holdBytes, isLent, lendBuffer, outstandingLeases } from '../src/index.js';
import { codeOf, concat, xorCodec } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'multifd-lease-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('leases', () => {
  it('memory nobody lent needs none: holdBytes gives NO_LEASE', () => {
    expect(holdBytes(new Uint8Array(16))).toBe(NO_LEASE);
    expect(holdAll([new Uint8Array(4), Buffer.alloc(4)])).toBe(NO_LEASE);
    expect(isLent(new Uint8Array(16))).toBe(false);
  });

  it('holdAll takes one hold per distinct lent buffer and releases them together, once', () => {
    const freed: ArrayBuffer[] = [];
    const a = new ArrayBuffer(64);
    const b = new ArrayBuffer(64);
    const la = lendBuffer(a, (x) => freed.push(x));
    const lb = lendBuffer(b, (x) => freed.push(x));
    const both = holdAll([new Uint8Array(a, 0, 8), new Uint8Array(a, 8, 8), new Uint8Array(b, 0, 8)]);
    la.release();
    lb.release();
    expect(freed).toHaveLength(0);
    both.release();
    expect(freed).toHaveLength(2);
    expect(codeOf(() => both.release())).toBe('ERR_MULTIFD_STATE');
  });

  it('refuses to lend a buffer that is still held', () => {
    const a = new ArrayBuffer(8);
    const lease = lendBuffer(a, () => undefined);
    expect(codeOf(() => lendBuffer(a, () => undefined))).toBe('ERR_MULTIFD_STATE');
    lease.release();
  });
});

describe('ChunkQueue spill buffer', () => {
  it('is not reused while a take() of it is held: the held bytes stay as they were', () => {
    const q = new ChunkQueue({ reuse: true });
    const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);
    q.push(bytes(10, 1));
    q.push(bytes(10, 2)); // 10 bytes carried
    const first = q.take(15); // spans the carry: copied into the spill
    const held = holdBytes(first);
    expect(held).not.toBe(NO_LEASE);
    q.push(bytes(10, 3)); // 5 of 2 carried
    const second = q.take(12);
    expect([...first]).toEqual([...bytes(10, 1), ...bytes(5, 2)]);
    expect([...second]).toEqual([...bytes(5, 2), ...bytes(7, 3)]);
    held.release();
  });
});

describe('fileChunks', () => {
  it('never reads into a chunk that is held, however far the reader goes on', async () => {
    const file = join(dir, 'chunks.bin');
    const data = new Uint8Array(64 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 10)) & 0xff;
    writeFileSync(file, data);
    const before = outstandingLeases();
    const kept: { view: Uint8Array; at: number; lease: ReturnType<typeof holdBytes> }[] = [];
    let at = 0;
    for await (const chunk of fileChunks(file, { chunkSize: 4096 })) {
      // Keep every third chunk, as a packet waiting for a worker keeps its payload.
      if ((at / 4096) % 3 === 0) kept.push({ view: chunk, at, lease: holdBytes(chunk) });
      at += chunk.length;
    }
    for (const k of kept) expect(Buffer.from(k.view).equals(Buffer.from(data.subarray(k.at, k.at + 4096)))).toBe(true);
    for (const k of kept) k.lease.release();
    expect(outstandingLeases()).toBe(before);
  });

  it('recycles a chunk nobody held: in poison mode a view kept without a hold reads nothing', async () => {
    const file = join(dir, 'unheld.bin');
    writeFileSync(file, new Uint8Array(16 * 1024).fill(9));
    const views: Uint8Array[] = [];
    for await (const chunk of fileChunks(file, { chunkSize: 4096 })) views.push(chunk);
    expect(views[0]!.length).toBe(0);
  });
});

describe('ChannelFramer frames', () => {
  it('hold the read buffer their payload lies in: the reader cannot recycle it before the frame is released', async () => {
    const enc = new PacketEncoder({ codec: xorCodec, id: 0 });
    await enc.setup();
    const page = new Uint8Array(PAGE_SIZE).fill(5);
    const p = await enc.packet('pc.ram', [0], [page]);
    const wire = concat([enc.initialPacket(), p.header, ...p.payload]);
    p.lease.release();

    const pool = new BufferPool(wire.length, 2);
    const { buffer, lease } = pool.lend();
    const chunk = new Uint8Array(buffer);
    chunk.set(wire);
    const framer = new ChannelFramer({ payloadLength: (h) => h.normalPages * PAGE_SIZE });
    const [, frame] = framer.push(chunk);
    if (frame?.kind !== 'packet') throw new Error('no packet frame');
    lease.release(); // the reader moves on
    expect(pool.available).toBe(0);
    expect(Buffer.from(frame.payload).equals(Buffer.from(wire.subarray(wire.length - PAGE_SIZE)))).toBe(true);
    frame.lease.release();
    expect(pool.available).toBe(1);
    expect(frame.payload.length).toBe(0);
  });

  it('PacketEncoder refuses the next packet while the last one is held', async () => {
    const enc = new PacketEncoder({ codec: xorCodec, id: 3 });
    await enc.setup();
    const p = await enc.packet('pc.ram', [0], [new Uint8Array(PAGE_SIZE)]);
    await expect(enc.packet('pc.ram', [PAGE_SIZE], [new Uint8Array(PAGE_SIZE)])).rejects.toMatchObject({ code: 'ERR_MULTIFD_STATE' });
    p.lease.release();
    (await enc.sync()).lease.release();
  });
});
