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
