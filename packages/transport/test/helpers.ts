/** Shared pieces of the transport tests: memory images, dirtying, a TCP proxy that can break a connection. */
import * as net from 'node:net';
import { PAGE_KINDS, PAGE_SIZE, Prng, fillMemory, fillPage } from '@multifd/core';

/** A SharedArrayBuffer-backed image of `bytes` with realistic pages. */
export function image(bytes: number, seed: string): Uint8Array {
  const mem = new Uint8Array(new SharedArrayBuffer(bytes));
  fillMemory(mem, seed);
  return mem;
}

/** Rewrite `count` pages (some to zero) in place; returns their offsets, sorted. */
export function dirty(mem: Uint8Array, count: number, seed: string): number[] {
  const rng = new Prng(seed);
  const pages = mem.length / PAGE_SIZE;
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(rng.below(pages));
  const offsets = [...chosen].sort((a, b) => a - b).map((p) => p * PAGE_SIZE);
  for (const off of offsets) {
    const kind = rng.below(3) === 0 ? 'zero' : PAGE_KINDS[1 + rng.below(PAGE_KINDS.length - 1)]!;
    fillPage(mem.subarray(off, off + PAGE_SIZE), kind, rng);
  }
  return offsets;
}

export function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

export interface ProxyConnection {
  client: net.Socket;
  upstream: net.Socket;
  /** Bytes forwarded client -> upstream. */
  bytes: number;
}

/**
 * A TCP proxy in front of `port`: forwards every connection, and lets a test
 * break one (destroy it, stall it, or corrupt the next bytes).
 */
export async function tcpProxy(
  port: number,
  hooks: {
    onData?: (conn: ProxyConnection, index: number, chunk: Buffer) => Buffer | null;
    /** Pass a peer's end on and keep the other direction flowing (a receiver's acknowledgement comes after the sender's end). */
    halfOpen?: boolean;
  } = {},
) {
  const connections: ProxyConnection[] = [];
  const allowHalfOpen = hooks.halfOpen ?? false;
  const server = net.createServer({ allowHalfOpen }, (client) => {
    const upstream = net.connect({ port, host: '127.0.0.1', allowHalfOpen });
    const conn: ProxyConnection = { client, upstream, bytes: 0 };
    const index = connections.push(conn) - 1;
    client.on('data', (chunk: Buffer) => {
      const out = hooks.onData ? hooks.onData(conn, index, chunk) : chunk;
      if (out === null) return;
      conn.bytes += out.length;
      upstream.write(out);
    });
    upstream.on('data', (d) => client.write(d));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    connections,
    close: () => {
      for (const c of connections) {
        c.client.destroy();
        c.upstream.destroy();
      }
      server.close();
    },
  };
}

/** Milliseconds `promise` takes to settle, and how (never throws). */
export async function settleTime<T>(promise: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const t0 = performance.now();
  try {
    const value = await promise;
    return { ms: performance.now() - t0, value };
  } catch (error) {
    return { ms: performance.now() - t0, error };
  }
}

/**
 * Pages that name themselves: "PAGE", the page's RAMBlock offset (u64 LE) and
 * its generation (u32 LE), then bytes derived from both (3 KiB
 * random-looking, the rest a repeated 64-byte pattern: compressed payloads
 * stay large, as on a busy guest, so they span read buffers). A page that lands in the wrong place, or holds another
 * packet's bytes, says which page it really is.
 */
export function writeNamedPage(page: Uint8Array, offset: number, generation: number): void {
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  page.set([0x50, 0x41, 0x47, 0x45]); // "PAGE"
  view.setBigUint64(4, BigInt(offset), true);
  view.setUint32(12, generation, true);
  let x = (offset / PAGE_SIZE) * 2654435761 + generation * 40503 + 1;
  for (let i = 16; i < 3072; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    page[i] = x & 0xff;
  }
  for (let i = 3072; i < PAGE_SIZE; i++) page[i] = page[16 + (i % 64)]!;
}

/** What a page holds: "zero", "page 0x… gen N", or "other bytes". */
export function namedPageOf(page: Uint8Array): string {
  if (page.every((b) => b === 0)) return 'zero';
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  if (view.getUint32(0, false) !== 0x50414745) return 'other bytes';
  return `page 0x${view.getBigUint64(4, true).toString(16)} gen ${view.getUint32(12, true)}`;
}

/** A SharedArrayBuffer-backed image of named pages, generation 0; every fifth page is zero. */
export function namedImage(bytes: number): Uint8Array {
  const mem = new Uint8Array(new SharedArrayBuffer(bytes));
  for (let off = 0; off < bytes; off += PAGE_SIZE) {
    if ((off / PAGE_SIZE) % 5 !== 4) writeNamedPage(mem.subarray(off, off + PAGE_SIZE), off, 0);
  }
  return mem;
}

/** Rewrite `count` pages as generation `generation` (one in four of them zero), as a running guest would; returns their offsets, sorted. */
export function rewriteNamed(mem: Uint8Array, count: number, generation: number, seed: string): number[] {
  const rng = new Prng(`${seed}/${generation}`);
  const pages = mem.length / PAGE_SIZE;
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(rng.below(pages));
  const offsets = [...chosen].sort((a, b) => a - b).map((p) => p * PAGE_SIZE);
  for (const off of offsets) {
    const page = mem.subarray(off, off + PAGE_SIZE);
    if (rng.below(4) === 0) page.fill(0);
    else writeNamedPage(page, off, generation);
  }
  return offsets;
}

/** "none", or how many pages of `got` differ from `want` and what the first few hold instead. */
export function pageDifferences(got: Uint8Array | undefined, want: Uint8Array): string {
  if (!got) return 'no memory';
  if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
  const wrong: string[] = [];
  let count = 0;
  for (let off = 0; off < want.length; off += PAGE_SIZE) {
    const a = got.subarray(off, off + PAGE_SIZE);
    const b = want.subarray(off, off + PAGE_SIZE);
    if (Buffer.compare(Buffer.from(a.buffer, a.byteOffset, PAGE_SIZE), Buffer.from(b.buffer, b.byteOffset, PAGE_SIZE)) === 0) continue;
    if (count++ < 3) wrong.push(`0x${off.toString(16)} holds ${namedPageOf(a)}, expected ${namedPageOf(b)}`);
  }
  return count === 0 ? 'none' : `${count} pages differ: ${wrong.join('; ')}`;
}
