import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { MultifdError } from '@multifd/core';
import { connectWhenListening } from '@multifd/transport';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('connectWhenListening', () => {
  it('tries a refused destination again until its timeout, then says how often it was refused', async () => {
    const port = await closedPort();
    const error = await connectWhenListening({ host: '127.0.0.1', port }, { timeoutMs: 1000, label: 'outgoing main stream' }).catch((e: unknown) => e);
    expect(MultifdError.is(error, 'ERR_MULTIFD_TIMEOUT')).toBe(true);
    const attempts = Number(/refused (\d+) connection attempts/.exec((error as Error).message)?.[1]);
    expect(attempts).toBeGreaterThanOrEqual(2);
  });

  it('connects once the destination listens', async () => {
    const port = await closedPort();
    const connecting = connectWhenListening({ host: '127.0.0.1', port }, { timeoutMs: 10_000, label: 'outgoing main stream' });
    const server = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const socket = await connecting;
    expect(socket.remotePort).toBe(port);
    socket.destroy();
    server.close();
  });
});
