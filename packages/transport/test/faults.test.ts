/**
 * Faults between sender and receiver (issue 7): a TCP proxy that stalls,
 * truncates or corrupts one channel mid-transfer, and a receiver whose disk
 * fills up. Both ends must stop with a typed error, nothing may report
 * completion, and no socket may be left open.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MultifdError } from '@multifd/core';
import { MigrationReceiver, MigrationSender } from '@multifd/transport';
import { image, settleTime, tcpProxy } from './helpers.js';

const MiB = 1 << 20;

/** Open TCP handles of this process (sockets and servers). */
const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;

async function sendAll(port: number, method: string, mem: Uint8Array) {
  const sender = new MigrationSender({ to: `127.0.0.1:${port}`, channels: 2, method, blocks: [{ name: 'pc.ram', memory: mem }], window: 2 });
  await sender.start();
  return sender.complete('all');
}

/** Run a transfer through a proxy that misbehaves on the second channel connection (index 2). */
async function faulty(
  method: string,
  onChannel: (conn: Parameters<NonNullable<Parameters<typeof tcpProxy>[1]['onData']>>[0], chunk: Buffer) => Buffer | null,
  idleTimeoutMs = 30_000,
) {
  const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 2, idleTimeoutMs });
  const { port } = await receiver.listen();
  let faultAt = 0;
  const proxy = await tcpProxy(port, {
    onData(conn, index, chunk) {
      if (index !== 2) return chunk;
      const out = onChannel(conn, chunk);
      if (out !== chunk && !faultAt) faultAt = performance.now();
      return out;
    },
  });
  const [r, s] = await Promise.all([settleTime(receiver.done()), settleTime(sendAll(proxy.port, method, image(48 * MiB, `fault/${method}`)))]);
  const end = performance.now();
  proxy.close();
  return { r, s, faultAt, end };
}

const code = (e: unknown) => (MultifdError.is(e) ? e.code : `untyped ${String(e)}`);

describe('faults on one channel stop both ends with a typed error', () => {
  const baseline = tcpHandles();
  afterEach(async () => {
    // Every socket of the transfer is closed (the proxy's included).
    for (let i = 0; i < 50 && tcpHandles() > baseline; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(tcpHandles()).toBe(baseline);
  });

  it('a stalled channel: the receiver times out on it, the sender stops within 2 s of that', async () => {
    // The proxy stops reading the sender's channel: it stalls, the rest of the transfer waits on it.
    const { r, s, faultAt } = await faulty(
      'nocomp',
      (conn, chunk) => {
        if (conn.bytes <= 4 * MiB) return chunk;
        conn.client.pause();
        return null;
      },
      2000,
    );
    expect(faultAt, `${String(r.error)} / ${String(s.error)}`).toBeGreaterThan(0);
    expect(code(r.error), String(r.error)).toBe('ERR_MULTIFD_TIMEOUT');
    expect(s.error).toBeDefined();
    expect(s.value).toBeUndefined();
    expect(s.ms - r.ms).toBeLessThan(2000);
  });

  it('a channel cut short (FIN in the middle of a packet): ERR_MULTIFD_TRUNCATED naming the channel', async () => {
    let cut = false;
    const { r, s } = await faulty('zstd', (conn, chunk) => {
      if (cut) return null;
      if (conn.bytes + chunk.length > 3 * MiB) {
        cut = true;
        conn.upstream.end(chunk.subarray(0, 1000)); // part of a packet, then the end
        return null;
      }
      return chunk;
    });
    expect(cut).toBe(true);
    expect(['ERR_MULTIFD_TRUNCATED', 'ERR_MULTIFD_SYNC_MISMATCH']).toContain(code(r.error));
    expect((r.error as MultifdError).location.channel).toBeTypeOf('number');
    expect(s.error).toBeDefined();
  });

  it('corrupted payload bytes on a zstd channel: a typed payload error naming channel and packet', async () => {
    let flipped = 0;
    const { r, s } = await faulty('zstd', (conn, chunk) => {
      if (conn.bytes > 2 * MiB && flipped < 64) {
        for (let i = 0; i < chunk.length; i += 977) chunk[i] ^= 0x5a;
        flipped++;
      }
      return chunk;
    });
    expect(flipped).toBeGreaterThan(0);
    expect(r.error).toBeDefined();
    expect(MultifdError.is(r.error)).toBe(true);
    const location = (r.error as MultifdError).location;
    // Either the payload fails to decode or a damaged header is refused; both name the channel.
    expect(location.channel ?? location.stream).toBeDefined();
    expect(s.error).toBeDefined();
  });
});

describe('a receiver whose disk fills up', () => {
  it('fails with ERR_MULTIFD_IO naming the file; the sender stops within 2 s; nothing reports completion', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'multifd-full-'));
    // A 4 MiB filesystem: the RAMBlock file is sparse, so it fills up mid-transfer.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    try {
      const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 2, out: dir });
      const { port } = await receiver.listen();
      const [r, s] = await Promise.all([settleTime(receiver.done()), settleTime(sendAll(port, 'nocomp', image(32 * MiB, 'full')))]);
      expect(code(r.error)).toBe('ERR_MULTIFD_IO');
      expect((r.error as MultifdError).message).toMatch(/pc\.ram\.bin/);
      expect(s.error).toBeDefined();
      expect(s.value).toBeUndefined();
      expect(s.ms - r.ms).toBeLessThan(2000);
    } finally {
      execFileSync('umount', [dir]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
