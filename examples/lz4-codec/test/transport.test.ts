import { describe, expect, it } from 'vitest';
import { fillMemory } from '@multifd/core';
import { MigrationReceiver, MigrationSender } from '@multifd/transport';

// The channel workers are threads with their own module graph: they get codecs
// by importing these specifiers, so the package must be installed (or given as a file path).
const codecModules = ['@multifd/nocomp', 'multifd-codec-lz4'];

describe('lz4 through @multifd/transport', () => {
  it('migrates a RAM image over 2 channels with method 3; the receiver ends with the same bytes', async () => {
    const ram = new Uint8Array(new SharedArrayBuffer(8 << 20));
    fillMemory(ram, 'lz4/transport');
    const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 2, method: 3, codecModules });
    const { port } = await receiver.listen();
    const done = receiver.done();
    const sender = new MigrationSender({ to: `127.0.0.1:${port}`, channels: 2, method: 3, codecModules, blocks: [{ name: 'pc.ram', memory: ram }] });
    await sender.start();
    await sender.pass();
    ram.fill(7, 4096, 3 * 4096); // the guest writes two pages: send them again
    const progress = await sender.complete(new Map([['pc.ram', [4096, 2 * 4096]]]));
    const report = await done;

    expect(report.method?.name).toBe('lz4');
    expect(report.channels.map((c) => c.pages > 0)).toEqual([true, true]);
    expect(Buffer.compare(Buffer.from(receiver.block('pc.ram')!), Buffer.from(ram))).toBe(0);
    // It compressed: the channels carried fewer bytes than their pages hold.
    const pages = report.channels.reduce((n, c) => n + c.pages, 0);
    expect(progress.channels.reduce((n, c) => n + c.wireBytes, 0)).toBeLessThan(pages * 4096 * 0.8);
  });
});
