/**
 * `multifd replay` -> QEMU 7.2 destination: a captured migration (the paused
 * dev-1 guest) re-encoded with another codec and channel count into a
 * destination started with `-incoming defer`. The destination must complete
 * with blobs/dev-1.bin at 0x100000 and zero everywhere else in pc.ram.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configureMultifd, fixturePath, migrateIncoming, startQemu, type MultifdCompression } from '@multifd/qemu-harness';
import { expectCliSuccess, startCli } from './cli-process.js';
import {
  BLOB_ADDR,
  DEV_BLOB,
  GUEST_BYTES,
  METHOD,
  cleanupAfterEach,
  completedDestination,
  describePages,
  pcRamDifferences,
  requireQemu72,
  tempDir,
} from './helpers.js';

requireQemu72();
cleanupAfterEach();

/** The connection streams of a 7.2 capture. */
function captureFiles(capture: string): string[] {
  const dir = fixturePath(`qemu-7.2/${capture}`);
  const files = fs.readdirSync(dir).filter((f) => /^conn\d+-.*\.bin$/.test(f));
  if (files.length < 2) throw new Error(`no connection streams in ${dir}`);
  return files.map((f) => path.join(dir, f));
}

/** What the captured guest held: dev-1.bin at 0x100000 and zero elsewhere in pc.ram. */
function expectedMemory(): Buffer {
  const memory = Buffer.alloc(GUEST_BYTES);
  fs.readFileSync(DEV_BLOB).copy(memory, BLOB_ADDR);
  return memory;
}

describe('multifd replay -> QEMU 7.2 destination', () => {
  it.each<[string, MultifdCompression, number]>([
    ['nocomp-2ch', 'zstd', 3],
    ['zstd-2ch', 'none', 1],
    ['zlib-2ch', 'zlib', 4],
  ])(
    '%s replayed as %s on %i channel(s): the destination completes with the captured memory',
    async (capture, compression, channels) => {
      const dir = tempDir();
      const destination = await startQemu({ name: 'destination', incomingDefer: true });
      await configureMultifd(destination, { channels, compression });
      const uri = await migrateIncoming(destination); // tcp:127.0.0.1:0 -> the real port
      const to = uri.replace(/^tcp:/, '');

      const replay = startCli(['replay', '--to', to, '--channels', String(channels), '--method', METHOD[compression], ...captureFiles(capture)]);
      const result = await expectCliSuccess(replay, 30_000);
      expect(result.stdout).toMatch(/^replayed /);
      const memory = await completedDestination(destination, dir);
      expect(describePages(pcRamDifferences(memory, expectedMemory()))).toBe('none');
    },
    60_000,
  );
});
