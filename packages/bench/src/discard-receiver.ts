/**
 * A receiver that takes a migration's connections (one main stream and N
 * channels), reads every byte and keeps none, then acknowledges completion
 * the way our receiver does (transport's COMPLETION_ACK on the main
 * connection) so that `multifd send` finishes normally. What a transfer
 * costs the sender alone: compare `send` into this with `send` into the
 * real receiver (docs/performance.md).
 *
 * It checks nothing: it is a measuring tool, never a place to send a real
 * migration.
 */
import * as net from 'node:net';
import { BufferPool, NO_LEASE, type Lease } from '@multifd/core';
import { COMPLETION_ACK, fastReader } from '@multifd/transport';

export interface DiscardReport {
  /** From the first connection to the last one's end. */
  seconds: number;
  /** Bytes read on every connection. */
  bytes: number;
  connections: number;
}

export interface DiscardReceiver {
  port: number;
  /** Resolves once all `channels + 1` connections have ended. */
  done: Promise<DiscardReport>;
  close(): void;
}

export async function discardReceiver(channels: number, host = '127.0.0.1'): Promise<DiscardReceiver> {
  const expected = channels + 1;
  let firstAt = 0;
  let bytes = 0;
  let ended = 0;
  let main: net.Socket | undefined;
  let finish: (r: DiscardReport) => void = () => undefined;
  const done = new Promise<DiscardReport>((resolve) => (finish = resolve));
  // One read buffer, handed back as soon as its bytes are counted: no allocation per read.
  const pool = new BufferPool(1 << 20, 1);
  const sockets = new Set<net.Socket>();
  // Paused on connect: nothing is read before the transport's fastReader takes the handle.
  const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
  server.on('connection', (accepted) => {
    firstAt ||= performance.now();
    const count = (chunk: Uint8Array, lease: Lease) => {
      bytes += chunk.length;
      lease.release();
    };
    const fast = fastReader(accepted, pool, count);
    const socket = fast ?? accepted;
    if (!fast) socket.on('data', (chunk: Buffer) => count(chunk, NO_LEASE));
    sockets.add(socket);
    // QEMU and our sender open the main stream first.
    main ??= socket;
    socket.on('error', () => socket.destroy());
    socket.on('end', () => {
      if (++ended < expected) return;
      // Done: the acknowledgement on the main connection, then our side of every connection closes.
      main!.end(COMPLETION_ACK);
      for (const s of sockets) if (s !== main) s.end();
      finish({ seconds: (performance.now() - firstAt) / 1000, bytes, connections: ended });
    });
    socket.resume();
  });
  server.maxConnections = expected;
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    done,
    close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}
