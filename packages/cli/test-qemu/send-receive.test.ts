/**
 * `multifd send` -> `multifd receive`, two processes over TCP: three RAMBlocks
 * (8 MiB of mixed pages, the HLT BIOS, an all-zero block), four passes with
 * 5% of the pages rewritten before each pass after the first. What receive
 * writes must equal the sender's final RAM (`--save-final`). No QEMU needed,
 * but this is the live suite's check of our own two ends.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mixedPages } from '@multifd/qemu-harness';
import { expectCliSuccess, startCli } from './cli-process.js';
import { HLT_BIOS, MIB, PAGE, blockFile, cleanupAfterEach, readJson, tempDir, type ReceiveIndex } from './helpers.js';

cleanupAfterEach();

const ITERATIONS = 4;

/** The RAM images, written once for every case. */
let input = '';
const images: Record<string, Buffer> = {};

beforeAll(() => {
  input = fs.mkdtempSync(path.join(os.tmpdir(), 'multifd-qemu-send-'));
  images['pc.ram'] = Buffer.from(mixedPages(8 * MIB, 'cli-live-send').bytes);
  images['pc.bios'] = fs.readFileSync(HLT_BIOS);
  images['/rom@etc/zero'] = Buffer.alloc(4 * PAGE);
  for (const [name, bytes] of Object.entries(images)) fs.writeFileSync(blockFile(input, name), bytes);
});
afterAll(() => fs.rmSync(input, { recursive: true, force: true }));

describe('multifd send -> multifd receive (two processes, dirty iterations)', () => {
  it.each<[string, number]>([
    ['zstd', 1],
    ['zstd', 2],
    ['zstd', 4],
    ['zlib', 1],
    ['zlib', 2],
    ['zlib', 4],
  ])(
    '%s, %i channel(s), 4 iterations with 0.05 dirty: the received blocks equal the final RAM',
    async (method, channels) => {
      const dir = tempDir();
      const final = path.join(dir, 'final');
      const out = path.join(dir, 'out');
      const args = Object.keys(images).map((name) => `${name}=${blockFile(input, name)}`);

      const receive = startCli(['receive', '--listen', '127.0.0.1:0', '--channels', String(channels), '--method', method, '--out', out]);
      const port = await receive.listening();
      const send = startCli([
        'send',
        '--to',
        `127.0.0.1:${port}`,
        '--channels',
        String(channels),
        '--method',
        method,
        '--iterations',
        String(ITERATIONS),
        '--dirty',
        '0.05',
        '--save-final',
        final,
        '--json',
        ...args,
      ]);
      const [sent] = await Promise.all([expectCliSuccess(send, 60_000), expectCliSuccess(receive, 60_000)]);
      const summary = JSON.parse(sent.stdout) as { iterations: number; channels: number; method: string; pages: number; zeroPages: number };
      expect(summary).toMatchObject({ iterations: ITERATIONS, channels, method });
      // The images hold zero pages as well as data: both are counted.
      expect(summary.zeroPages).toBeGreaterThan(0);
      expect(summary.zeroPages).toBeLessThan(summary.pages);

      const index = readJson<ReceiveIndex>(path.join(out, 'index.json'));
      expect(index.method).toBe(method);
      expect(index.channels.map((c) => c.id)).toEqual([...Array(channels).keys()]);
      expect(index.epochs).toBeGreaterThanOrEqual(ITERATIONS);
      expect(index.warnings).toEqual([]);
      for (const [name, bytes] of Object.entries(images)) {
        const entry = index.ramblocks.find((b) => b.name === name);
        expect(entry, name).toMatchObject({ usedLength: bytes.length, missing: 0 });
        const finalBytes = fs.readFileSync(blockFile(final, name));
        expect(finalBytes.length, name).toBe(bytes.length);
        expect(fs.readFileSync(blockFile(out, name)).equals(finalBytes), `${name}: received equals the final RAM`).toBe(true);
      }
      // The passes did rewrite memory: the final RAM is not what was first sent.
      expect(fs.readFileSync(blockFile(final, 'pc.ram')).equals(images['pc.ram']!)).toBe(false);
    },
    90_000,
  );
});
