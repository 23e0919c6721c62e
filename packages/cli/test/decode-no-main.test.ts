/** `decode` given only multifd channel files: no RAMBlock list, so blocks are sized to the highest page. */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '@multifd/core';
import { NO_MAIN_STREAM_WARNING } from '../src/decode-index.js';
import { FIXTURES, allZero, decodeOk, fixtureDir, removeTempDirs, run, streamFiles, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const BLOB = readFileSync(join(FIXTURES, 'qemu-7.2/blobs/dev-1.bin'));
const BLOB_AT = 0x100000;

/** End of the blob's last non-zero page, as an offset of pc.ram. */
function blobEnd(): number {
  for (let end = BLOB.length; end > 0; end -= PAGE_SIZE) {
    if (!allZero(BLOB.subarray(end - PAGE_SIZE, end))) return BLOB_AT + end;
  }
  return BLOB_AT;
}

describe('decode without a main stream', () => {
  for (const name of ['nocomp-2ch', 'zstd-2ch']) {
    it(`${name}: channels alone rebuild the blob; files end at the highest page; the summary says so`, async () => {
      const channels = streamFiles(fixtureDir('7.2', name)).filter((f) => f.includes('multifd'));
      const out = tempDir();
      const index = await decodeOk(channels, out);
      expect(index.mainStream).toBeNull();
      expect(index.syncMode).toBe('channels');
      expect(index.epochs).toBe(3);
      expect(index.warnings).toContain(NO_MAIN_STREAM_WARNING);
      expect(index.channels.map((c) => c.id)).toEqual([0, 1]);
      expect(index.ramblocks.every((b) => b.missing === null)).toBe(true);

      const ram = readFileSync(join(out, 'pc.ram.bin'));
      expect(ram.length).toBe(blobEnd());
      expect(index.ramblocks.find((b) => b.name === 'pc.ram')?.usedLength).toBe(ram.length);
      expect(allZero(ram.subarray(0, BLOB_AT))).toBe(true);
      expect(ram.subarray(BLOB_AT).equals(BLOB.subarray(0, ram.length - BLOB_AT))).toBe(true);
      for (const b of index.ramblocks) {
        expect(b.usedLength % PAGE_SIZE).toBe(0);
        expect(statSync(join(out, b.file!)).size, b.name).toBe(b.usedLength);
        const bytes = readFileSync(join(out, b.file!));
        expect(allZero(bytes.subarray(bytes.length - PAGE_SIZE)), `${b.name}: last page holds data`).toBe(false);
      }

      const summary = await run(['decode', ...channels]);
      expect(summary.code).toBe(0);
      expect(summary.stdout).toMatch(/^decoded \w+: 2 channels, 3 epochs, \d+ pages, 5 RAMBlocks, .*; no main stream: RAMBlocks sized to the highest page received\n$/);
    });
  }
});
