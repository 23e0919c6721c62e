/**
 * A synthetic migration with a 4.5 GiB RAMBlock, built directly with core's
 * MainStreamEncoder and PacketEncoder (no 4.5 GiB of memory anywhere): ~3 MiB
 * of pages above 4 GiB, a few below, zero records, and a second epoch that
 * re-sends some pages and zeroes one. decode must finish in seconds and
 * leave a 4.5 GiB file that uses little disk, with every page in its place.
 */
import { closeSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MainStreamEncoder, PAGE_SIZE, PAGES_PER_PACKET, PacketEncoder, Prng, type EncodedPacket, type RAMBlockInfo } from '@multifd/core';
import { nocomp } from '@multifd/nocomp';
import { decodeOk, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const GiB = 1024 ** 3;
const BIG: RAMBlockInfo = { name: 'big', usedLength: 4.5 * GiB };
const SMALL: RAMBlockInfo = { name: '/rom@etc/small', usedLength: 16 * PAGE_SIZE };

/** Deterministic non-zero content of a page sent in `epoch`. */
function pageContent(block: string, offset: number, epoch: number): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE);
  new Prng(`${block}:${offset}:${epoch}`).fill(page);
  page[0] = 1 + epoch; // never all zero
  return page;
}

interface Send {
  block: string;
  offsets: number[];
}

/** Runs of consecutive pages: `count` pages from `start`. */
function run(block: string, start: number, count: number): Send[] {
  const sends: Send[] = [];
  for (let i = 0; i < count; i += PAGES_PER_PACKET) {
    const n = Math.min(PAGES_PER_PACKET, count - i);
    sends.push({ block, offsets: Array.from({ length: n }, (_, k) => start + (i + k) * PAGE_SIZE) });
  }
  return sends;
}

/** Epoch 2 (PART) and 3 (END): pages sent on the channels and zero records on the main stream. */
const EPOCHS: { sends: Send[]; zeros: { block: string; offset: number }[] }[] = [
  {
    sends: [
      ...run('big', 4 * GiB, 256),
      ...run('big', 4 * GiB + 256 * 1024 ** 2, 256),
      ...run('big', 4.5 * GiB - 256 * PAGE_SIZE, 256), // the last 256 pages of the block
      { block: 'big', offsets: [0, PAGE_SIZE, 2 * GiB, 4 * GiB - PAGE_SIZE] }, // below 4 GiB
      { block: SMALL.name, offsets: [0, 5 * PAGE_SIZE, 15 * PAGE_SIZE] },
    ],
    zeros: [
      { block: 'big', offset: 3 * GiB },
      { block: 'big', offset: 4 * GiB + 300 * PAGE_SIZE },
      { block: SMALL.name, offset: PAGE_SIZE },
    ],
  },
  {
    // Re-sends: the later copy wins; a page with data becomes zero.
    sends: [{ block: 'big', offsets: [4 * GiB + 10 * PAGE_SIZE, 4 * GiB + 11 * PAGE_SIZE, PAGE_SIZE] }],
    zeros: [{ block: 'big', offset: 4 * GiB + 20 * PAGE_SIZE }],
  },
];

/** Content every page should have at the end (undefined: zero). */
function finalContent(): Map<string, Uint8Array | undefined> {
  const pages = new Map<string, Uint8Array | undefined>();
  EPOCHS.forEach((epoch, e) => {
    for (const s of epoch.sends) for (const off of s.offsets) pages.set(`${s.block}|${off}`, pageContent(s.block, off, e));
    for (const z of epoch.zeros) pages.set(`${z.block}|${z.offset}`, undefined);
  });
  return pages;
}

async function buildMigration(dir: string): Promise<string[]> {
  const main: Uint8Array[] = [];
  const channels: Uint8Array[][] = [[], []];
  const put = (id: number, p: EncodedPacket) => {
    channels[id]!.push(p.header, ...p.payload.map((x) => Uint8Array.from(x)));
    p.lease.release();
  };
  const encoders = [0, 1].map((id) => new PacketEncoder({ codec: nocomp, id }));
  const enc = new MainStreamEncoder();
  const syncAll = async () => {
    for (const e of encoders) put(e.id, await e.sync());
  };
  for (const e of encoders) {
    await e.setup();
    channels[e.id]!.push(e.initialPacket());
  }
  await syncAll(); // epoch 1: the START section
  main.push(enc.start([BIG, SMALL]));
  let turn = 0;
  for (const [i, epoch] of EPOCHS.entries()) {
    enc.begin(i === EPOCHS.length - 1 ? 'end' : 'part');
    for (const z of epoch.zeros) enc.zero(z.block, z.offset);
    for (const s of epoch.sends) {
      const e = encoders[turn++ % encoders.length]!;
      put(e.id, await e.packet(s.block, s.offsets, s.offsets.map((off) => pageContent(s.block, off, i))));
    }
    await syncAll();
    main.push(enc.endOfSection());
  }
  main.push(enc.eof());
  for (const e of encoders) await e.close();
  const files = [join(dir, 'main.bin'), join(dir, 'ch0.bin'), join(dir, 'ch1.bin')];
  writeFileSync(files[0]!, Buffer.concat(main));
  channels.forEach((chunks, id) => writeFileSync(files[id + 1]!, Buffer.concat(chunks)));
  return files;
}

function readPage(fd: number, offset: number): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE);
  expect(readSync(fd, page, 0, PAGE_SIZE, offset)).toBe(PAGE_SIZE);
  return page;
}

describe('decode: a 4.5 GiB RAMBlock', () => {
  it('decodes in seconds into a sparse file with every page in place', async () => {
    const input = tempDir();
    const files = await buildMigration(input);
    const out = tempDir();
    const started = performance.now();
    const index = await decodeOk([files[2]!, files[0]!, files[1]!], out);
    const seconds = (performance.now() - started) / 1000;
    expect(seconds).toBeLessThan(20);

    const expected = finalContent();
    const big = index.ramblocks.find((b) => b.name === 'big')!;
    expect(big.usedLength).toBe(4.5 * GiB);
    expect(big.pages).toBe([...expected.keys()].filter((k) => k.startsWith('big|')).length);
    expect(big.missing).toBe(4.5 * GiB / PAGE_SIZE - big.pages);
    expect(index.epochs).toBe(3);
    expect(index.channels.map((c) => c.syncs)).toEqual([3, 3]);

    const bigFile = join(out, big.file!);
    const st = statSync(bigFile);
    expect(st.size).toBe(4.5 * GiB);
    expect(st.blocks * 512, 'disk used').toBeLessThan(64 * 1024 ** 2);
    expect(statSync(join(out, '_rom@etc_small.bin')).size).toBe(SMALL.usedLength);

    const fds = new Map([
      ['big', openSync(bigFile, 'r')],
      [SMALL.name, openSync(join(out, '_rom@etc_small.bin'), 'r')],
    ]);
    try {
      for (const [key, content] of expected) {
        const [block, offset] = key.split('|') as [string, string];
        const page = readPage(fds.get(block)!, Number(offset));
        if (content) expect(Buffer.from(page).equals(content), key).toBe(true);
        else expect(page.every((b) => b === 0), key).toBe(true);
      }
      for (const never of [GiB, 4 * GiB + 600 * PAGE_SIZE, 4.5 * GiB - 257 * PAGE_SIZE]) {
        expect(readPage(fds.get('big')!, never).every((b) => b === 0), `page 0x${never.toString(16)}`).toBe(true);
      }
    } finally {
      for (const fd of fds.values()) closeSync(fd);
    }
  });
});
