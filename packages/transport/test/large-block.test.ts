/**
 * The library with a RAMBlock past 4 GiB (issue 16): MigrationSender reads a
 * sparse 4.5 GiB image file in windows (no typed array over 4 GiB), and
 * MigrationReceiver writes it to a sparse file: the pages on both sides of
 * 4 GiB arrive exact.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MigrationReceiver, MigrationSender } from '@multifd/transport';

const SIZE = 4.5 * 1024 ** 3;
const PAGES = [0, 2 ** 32 - 4096, 2 ** 32, 2 ** 32 + 12 * 4096, SIZE - 4096];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'multifd-large-block-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const page = (offset: number) => Buffer.alloc(4096, (offset / 4096) & 0xff).fill(`offset ${offset} `, 0, 64);

describe('a 4.5 GiB RAMBlock read from its file', () => {
  it('MigrationSender -> MigrationReceiver (files): the pages past 4 GiB arrive exact', async () => {
    const image = path.join(dir, 'ram.bin');
    const fd = fs.openSync(image, 'w');
    fs.ftruncateSync(fd, SIZE);
    for (const off of PAGES) fs.writeSync(fd, page(off), 0, 4096, off);
    fs.closeSync(fd);

    const out = path.join(dir, 'out');
    const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 2, out });
    const { port } = await receiver.listen();
    const received = receiver.done();
    received.catch(() => undefined);
    const sender = new MigrationSender({ to: `127.0.0.1:${port}`, channels: 2, method: 'nocomp', blocks: [{ name: 'pc.ram', file: image }] });
    await sender.start();
    const progress = await sender.complete('all');
    const report = await received;
    expect(progress.pages).toBe(SIZE / 4096);
    expect(report.ramblocks).toEqual([{ name: 'pc.ram', usedLength: SIZE, pages: SIZE / 4096, missing: 0 }]);
    const rfd = fs.openSync(report.files!['pc.ram']!, 'r');
    try {
      for (const off of PAGES) {
        const got = Buffer.alloc(4096);
        fs.readSync(rfd, got, 0, 4096, off);
        expect(got.equals(page(off)), `page at 0x${off.toString(16)}`).toBe(true);
      }
    } finally {
      fs.closeSync(rfd);
    }
  }, 120_000);

  it('in shared memory (a region of one SharedArrayBuffer) -> MigrationReceiver in memory: the pages past 4 GiB arrive exact', async () => {
    const buffer = new SharedArrayBuffer(SIZE);
    for (const off of PAGES) new Uint8Array(buffer, off, 4096).set(page(off));
    const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 2 });
    const { port } = await receiver.listen();
    const received = receiver.done();
    received.catch(() => undefined);
    const sender = new MigrationSender({ to: `127.0.0.1:${port}`, channels: 2, method: 'zstd', blocks: [{ name: 'pc.ram', memory: { buffer, byteOffset: 0, length: SIZE } }] });
    await sender.start();
    await sender.complete('all');
    const report = await received;
    expect(report.ramblocks).toEqual([{ name: 'pc.ram', usedLength: SIZE, pages: SIZE / 4096, missing: 0 }]);
    for (const off of PAGES) expect(Buffer.from(receiver.view('pc.ram', off, 4096)!).equals(page(off)), `page at 0x${off.toString(16)}`).toBe(true);
    // Not one array: block() says so, with a code.
    expect(() => receiver.block('pc.ram')).toThrow(expect.objectContaining({ code: 'ERR_MULTIFD_TOO_LARGE' }));
  }, 120_000);
});
