import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { MultifdError, PACKET_HEADER_SIZE, encodeInitialPacket, parseUuid } from '@multifd/core';
import { MigrationReceiver, MigrationSender, type ReceiverOptions } from '@multifd/transport';
import { image, settleTime, tcpProxy } from './helpers.js';

const MiB = 1 << 20;

function startReceiver(options: Partial<ReceiverOptions> & { channels: number }) {
  const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', ...options });
  return receiver;
}

/** A whole send (start + every page) as one promise. */
async function sendAll(port: number, channels: number, mem: Uint8Array, extra: Record<string, unknown> = {}) {
  const sender = new MigrationSender({ to: `127.0.0.1:${port}`, channels, method: 'nocomp', blocks: [{ name: 'pc.ram', memory: mem }], window: 2, ...extra });
  await sender.start();
  return sender.complete('all');
}

function codeOf(e: unknown): string | undefined {
  return MultifdError.is(e) ? e.code : undefined;
}

describe('failure is fast and loud on both ends', () => {
  it('a channel killed mid-transfer fails receiver and sender within 2 s, naming the channel', async () => {
    const receiver = startReceiver({ channels: 2 });
    const { port } = await receiver.listen();
    let killedAt = 0;
    const proxy = await tcpProxy(port, {
      onData(conn, index, chunk) {
        if (index === 2 && conn.bytes > 2 * MiB && !killedAt) {
          killedAt = performance.now();
          conn.upstream.destroy();
          conn.client.destroy();
          return null;
        }
        return chunk;
      },
    });
    const received = settleTime(receiver.done());
    const sent = settleTime(sendAll(proxy.port, 2, image(64 * MiB, 'kill')));
    const [r, s] = await Promise.all([received, sent]);
    proxy.close();
    expect(killedAt).toBeGreaterThan(0);
    // The receiver sees either the dead channel or the main stream the sender dropped when it noticed.
    expect(codeOf(r.error)).toMatch(/ERR_MULTIFD_(CONNECTION|TRUNCATED|SYNC_MISMATCH)/);
    // The sender names the channel whose connection died, and how far it got.
    expect(codeOf(s.error)).toBe('ERR_MULTIFD_CONNECTION');
    expect((s.error as MultifdError).location.channel, String(s.error)).toBeTypeOf('number');
    expect((s.error as MultifdError).location.packet, String(s.error)).toBeTypeOf('number');
    const end = performance.now();
    expect(end - killedAt).toBeLessThan(2000 + 500);
  });

  it('a corrupt packet header (unknown RAMBlock) is a typed error naming channel and packet; the sender stops too', async () => {
    const receiver = startReceiver({ channels: 1 });
    const { port } = await receiver.listen();
    let corrupted = false;
    const proxy = await tcpProxy(port, {
      onData(_conn, index, chunk) {
        // Channel connection: find a data packet header's RAMBlock name and change it.
        if (index === 1 && !corrupted) {
          const at = chunk.indexOf('pc.ram');
          if (at >= 0 && at >= 64) {
            chunk[at] = 'x'.charCodeAt(0);
            corrupted = true;
          }
        }
        return chunk;
      },
    });
    const [r, s] = await Promise.all([settleTime(receiver.done()), settleTime(sendAll(proxy.port, 1, image(16 * MiB, 'corrupt')))]);
    proxy.close();
    expect(corrupted).toBe(true);
    expect(codeOf(r.error)).toBe('ERR_MULTIFD_UNKNOWN_RAMBLOCK');
    expect((r.error as MultifdError).location.channel).toBe(0);
    expect((r.error as MultifdError).location.packet).toBeGreaterThanOrEqual(1);
    expect(s.error).toBeDefined();
  });

  it('a uuid other than ours is refused (ERR_MULTIFD_UUID_MISMATCH) and the sender fails', async () => {
    const receiver = startReceiver({ channels: 2 });
    const { port } = await receiver.listen();
    const [r, s] = await Promise.all([
      settleTime(receiver.done()),
      settleTime(sendAll(port, 2, image(2 * MiB, 'uuid'), { uuid: parseUuid('11111111-2222-3333-4444-555555555555') })),
    ]);
    expect(codeOf(r.error)).toBe('ERR_MULTIFD_UUID_MISMATCH');
    expect(s.error).toBeDefined();
    expect(s.ms).toBeLessThan(5000);
  });

  it('a receiver that gives up mid-transfer stops the sender within 2 s', async () => {
    // Progress after every packet (not every 200 ms): the abort lands at page 2000 of 24576, whatever the machine's speed.
    const receiver = startReceiver({ channels: 2, progressIntervalMs: 0 });
    const { port } = await receiver.listen();
    const sent = settleTime(sendAll(port, 2, image(96 * MiB, 'abort')));
    receiver.on('progress', (p) => {
      if (p.pages > 2000) void receiver.abort(new MultifdError('ERR_MULTIFD_IO', 'disk full'));
    });
    const r = await settleTime(receiver.done());
    const abortedAt = performance.now();
    const s = await sent;
    expect(codeOf(r.error)).toBe('ERR_MULTIFD_IO');
    expect(s.error).toBeDefined();
    expect(performance.now() - abortedAt).toBeLessThan(2000);
  });
});

describe('handshake, idle and connection limits', () => {
  it('fails when the channels do not all connect within the handshake timeout', async () => {
    const receiver = startReceiver({ channels: 2, handshakeTimeoutMs: 300 });
    const { port } = await receiver.listen();
    const main = net.connect(port, '127.0.0.1');
    main.write(Buffer.from('QEVM\0\0\0\x03'));
    const r = await settleTime(receiver.done());
    main.destroy();
    expect(codeOf(r.error)).toBe('ERR_MULTIFD_TIMEOUT');
    expect(r.ms).toBeLessThan(2000);
  });

  it('fails when a connected channel goes silent for the idle timeout', async () => {
    const receiver = startReceiver({ channels: 1, idleTimeoutMs: 400, handshakeTimeoutMs: 5000 });
    const { port } = await receiver.listen();
    const main = net.connect(port, '127.0.0.1');
    main.write(Buffer.from('QEVM\0\0\0\x03'));
    const ch = net.connect(port, '127.0.0.1');
    ch.write(encodeInitialPacket({ id: 0 }));
    ch.write(new Uint8Array(PACKET_HEADER_SIZE / 2)); // half a header, then nothing
    const r = await settleTime(receiver.done());
    main.destroy();
    ch.destroy();
    expect(codeOf(r.error)).toBe('ERR_MULTIFD_TIMEOUT');
    expect(r.ms).toBeLessThan(3000);
  });

  it('refuses more channel connections than configured (ERR_MULTIFD_CHANNEL_ID)', async () => {
    const receiver = startReceiver({ channels: 1 });
    const { port } = await receiver.listen();
    const sockets = [0, 1, 2].map(() => net.connect(port, '127.0.0.1'));
    sockets[0]!.write(Buffer.from('QEVM\0\0\0\x03'));
    sockets[1]!.write(encodeInitialPacket({ id: 0 }));
    sockets[2]!.write(encodeInitialPacket({ id: 0 }));
    for (const s of sockets) s.on('error', () => undefined);
    const r = await settleTime(receiver.done());
    for (const s of sockets) s.destroy();
    expect(codeOf(r.error)).toMatch(/ERR_MULTIFD_(CHANNEL_ID|DUPLICATE_CHANNEL)/);
  });

  it('a sender with nobody listening fails with ERR_MULTIFD_CONNECTION', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    server.close();
    const s = await settleTime(sendAll(port, 1, image(MiB, 'nobody')));
    expect(codeOf(s.error)).toBe('ERR_MULTIFD_CONNECTION');
  });
});
