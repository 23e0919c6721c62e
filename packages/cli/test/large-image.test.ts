/**
 * Images past 4 GiB (issue 16): a sparse 4.5 GiB image with pages at both
 * ends of the 4 GiB boundary goes through `send` -> `receive --out` exactly,
 * each side in bounded memory. Sparse files cost no disk. Each command runs
 * as its own process (the built bin's main()), which reports its peak RSS.
 */
import { closeSync, ftruncateSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cliMainBody, runWithPeakRss } from '@multifd/qemu-harness';
import { removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const CLI_DIST = fileURLToPath(new URL('../dist', import.meta.url));
const GiB = 1024 ** 3;
const SIZE = 4.5 * GiB;
/** Pages written into the image: around 0, 1 GiB, and both sides of 4 GiB, and the last page. */
const PAGES = [0, 5 * 4096, GiB, 2 ** 32 - 8192, 2 ** 32 - 4096, 2 ** 32, 2 ** 32 + 4096, 2 ** 32 + 40 * 4096, SIZE - 4096];
/** Peak RSS allowed for either side (issue 16: below 512 MiB plus a small per-channel constant). */
const RSS_CEILING = 512 * 1024 ** 2;

function page(offset: number): Buffer {
  const b = Buffer.alloc(4096);
  for (let i = 0; i < 4096; i++) b[i] = (offset / 4096 + i * 7) & 0xff;
  b.write(`PAGE@0x${offset.toString(16)} `);
  return b;
}

/** `multifd <args>` in a process of its own (the built bin's main()), with its peak RSS. */
async function multifd(args: string[], onStderr?: (text: string) => void) {
  const r = await runWithPeakRss(cliMainBody(CLI_DIST, args), onStderr);
  return { ...r, peakRss: r.peakRssBytes };
}

/** The image, made once for every test of the file (its holes, once read, stay in the page cache). */
let imageFile: string | undefined;
function image(): string {
  if (imageFile) return imageFile;
  const file = join(tempDir(), 'ram.bin');
  const fd = openSync(file, 'w');
  ftruncateSync(fd, SIZE);
  for (const off of PAGES) writeSync(fd, page(off), 0, 4096, off);
  closeSync(fd);
  return (imageFile = file);
}

describe('a 4.5 GiB sparse image', () => {
  it('compare: one row run and checked page by page, under 512 MiB RSS', async () => {
    const r = await multifd(['compare', '--methods', 'zstd', '--channels', '1', '--profiles', 'qemu-7.2', '--json', `pc.ram=${image()}`]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { input: { bytes: number; zeroPages: number }; rows: { verified: boolean; zeroPages: number; wireBytes: number }[] };
    expect(result.input.bytes).toBe(SIZE);
    expect(result.rows).toHaveLength(1);
    expect(result.rows[0]!.verified).toBe(true);
    expect(result.rows[0]!.zeroPages).toBe(SIZE / 4096 - PAGES.length);
    expect(r.peakRss).toBeLessThan(RSS_CEILING);
  }, 180_000);

  it('send -> receive --out: every page exact at offsets past 4 GiB, each side under 512 MiB RSS', async () => {
    const dir = tempDir();
    const out = join(dir, 'out');

    let port!: (p: number) => void;
    const listening = new Promise<number>((resolve) => (port = resolve));
    const receive = multifd(['receive', '--listen', '127.0.0.1:0', '--channels', '2', '--out', out], (text) => {
      const m = /listening on [^\s]+:(\d+)/.exec(text);
      if (m) port(Number(m[1]));
    });
    const send = await multifd(['send', '--to', `127.0.0.1:${await listening}`, '--channels', '2', '--method', 'zstd', `pc.ram=${image()}`]);
    const received = await receive;
    expect(send.code, send.stderr).toBe(0);
    expect(received.code, received.stderr).toBe(0);

    const result = join(out, 'pc.ram.bin');
    expect(statSync(result).size).toBe(SIZE);
    const rfd = openSync(result, 'r');
    try {
      for (const off of PAGES) {
        const got = Buffer.alloc(4096);
        readSync(rfd, got, 0, 4096, off);
        expect(got.equals(page(off)), `page at 0x${off.toString(16)}`).toBe(true);
      }
    } finally {
      closeSync(rfd);
    }
    // Only the pages that hold data were written: the rest is holes, which read as zeros.
    expect(statSync(result).blocks * 512).toBeLessThan(16 * 1024 ** 2);
    expect(send.peakRss).toBeLessThan(RSS_CEILING);
    expect(received.peakRss).toBeLessThan(RSS_CEILING);
  }, 180_000);
});
