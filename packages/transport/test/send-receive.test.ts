import { describe, expect, it } from 'vitest';
import { MigrationReceiver, MigrationSender } from '@multifd/transport';
import { dirty, image, sameBytes } from './helpers.js';

const MiB = 1 << 20;

/** Migrate `pc.ram` (+ a small ROM) over `channels` channels in `passes` dirty iterations; returns both sides. */
async function migrate(method: string, channels: number, passes: number, options: { send?: Record<string, unknown>; recv?: Record<string, unknown> } = {}) {
  const ram = image(6 * MiB, `t/${method}/${channels}`);
  const rom = image(64 * 1024, 'rom');
  const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels, ...(options.recv ?? {}) });
  const { port } = await receiver.listen();
  const sender = new MigrationSender({ to: `127.0.0.1:${port}`, channels, method, blocks: [{ name: 'pc.ram', memory: ram }, { name: '/rom@etc/x', memory: rom }], ...(options.send ?? {}) });
  const done = receiver.done();
  await sender.start();
  await sender.pass('all');
  for (let i = 2; i < passes; i++) await sender.pass(new Map([['pc.ram', dirty(ram, 100, `d${i}`)]]));
  const progress = await sender.complete(new Map([['pc.ram', dirty(ram, 50, 'last')]]));
  const report = await done;
  return { ram, rom, receiver, report, progress };
}

describe('send -> receive, one worker per channel', () => {
  for (const method of ['nocomp', 'zlib', 'zstd']) {
    for (const channels of [1, 2, 4]) {
      it(`${method} over ${channels} channel(s) with dirty iterations: the receiver ends with the sender's final RAM`, async () => {
        const { ram, rom, receiver, report, progress } = await migrate(method, channels, 3);
        expect(sameBytes(receiver.block('pc.ram'), ram)).toBe(true);
        expect(sameBytes(receiver.block('/rom@etc/x'), rom)).toBe(true);
        expect(report.method?.name).toBe(method);
        expect(report.channels).toHaveLength(channels);
        // START, two PART passes and the END pass: one sync each.
        expect(report.epochs).toBe(4);
        expect(report.ramblocks.map((b) => b.missing)).toEqual([0, 0]);
        expect(progress.wireBytes).toBe(report.wireBytes);
      });
    }
  }

  for (const method of ['nocomp', 'zstd']) {
    it(`${method} under the qemu-10 profile: zero pages travel in packets, syncs are FLUSH records`, async () => {
      const { ram, receiver, report } = await migrate(method, 2, 3, { send: { profile: 'qemu-10' } });
      expect(sameBytes(receiver.block('pc.ram'), ram)).toBe(true);
      expect(report.syncMode).toBe('flush');
      expect(report.main?.machine).toBe('pc-i440fx-10.0');
      expect(report.main?.zeroRecords).toBe(0);
      expect(report.channels.reduce((n, c) => n + c.zeroPages, 0)).toBeGreaterThan(0);
      expect(report.epochs).toBe(4);
    });
  }

  it('zlib: the pako and node:zlib backends talk to each other both ways', async () => {
    for (const [send, recv] of [['pako', 'node'], ['node', 'pako']] as const) {
      const { ram, receiver } = await migrate('zlib', 2, 2, { send: { codecOptions: { backend: send } }, recv: { codecOptions: { backend: recv } } });
      expect(sameBytes(receiver.block('pc.ram'), ram)).toBe(true);
    }
  });

  it('reports progress events with pages, wire bytes per channel and a rate', async () => {
    const ram = image(4 * MiB, 'progress');
    const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 2, progressIntervalMs: 0 });
    const { port } = await receiver.listen();
    const sender = new MigrationSender({ to: `127.0.0.1:${port}`, channels: 2, method: 'nocomp', blocks: [{ name: 'pc.ram', memory: ram }], progressIntervalMs: 0 });
    const seen: number[] = [];
    sender.on('progress', (p) => seen.push(p.pages));
    const done = receiver.done();
    await sender.start();
    const final = await sender.complete('all');
    await done;
    expect(seen.length).toBeGreaterThan(2);
    expect(final.pages).toBe(ram.length / 4096);
    expect(final.channels.map((c) => c.wireBytes > 0)).toEqual([true, true]);
    expect(final.mbps).toBeGreaterThan(0);
  });
});
