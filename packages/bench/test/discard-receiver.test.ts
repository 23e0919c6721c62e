import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { COMPLETION_ACK } from '@multifd/transport';
import { discardReceiver } from '../src/index.js';

/** Connect, write `bytes` in chunks, end; resolves with what the peer sent back. */
function client(port: number, bytes: number): Promise<{ reply: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const replies: Buffer[] = [];
    socket.on('connect', () => {
      for (let left = bytes; left > 0; left -= 65536) socket.write(Buffer.alloc(Math.min(65536, left), 7));
      socket.end();
    });
    socket.on('data', (d: Buffer) => replies.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolve({ reply: Buffer.concat(replies) }));
  });
}

describe('discard receiver', () => {
  it('counts every byte of the main stream and the channels, then acknowledges on the first connection only', async () => {
    const receiver = await discardReceiver(2);
    try {
      // The main stream connects first, as QEMU and our sender do.
      const main = client(receiver.port, 100_000);
      await new Promise((r) => setTimeout(r, 50));
      const channels = [client(receiver.port, 3_000_000), client(receiver.port, 1)];
      const [mainResult, ...channelResults] = await Promise.all([main, ...channels]);
      const report = await receiver.done;
      expect(report).toMatchObject({ bytes: 3_100_001, connections: 3 });
      expect(report.seconds).toBeGreaterThan(0);
      expect([...mainResult.reply]).toEqual([...COMPLETION_ACK]);
      expect(channelResults.map((r) => r.reply.length)).toEqual([0, 0]);
    } finally {
      receiver.close();
    }
  }, 10_000);
});
