/**
 * `compare`'s bundled sample: guest memory made on the fly, deterministic
 * (the same bytes on every run and machine), from core's page patterns with
 * GUEST_MIX (zero, text, code-like, random, sparse, repeated, half-zero
 * pages, in runs). Made in 4 MiB chunks, each from its own seed, so a smaller
 * sample is a prefix of a larger one and progress can be shown between chunks.
 */
import * as fs from 'node:fs';
import { GUEST_MIX, PAGE_SIZE, fillMemory, isZeroRange, type RAMBlock } from '@multifd/core';

export const SAMPLE_BLOCK = 'pc.ram';
export const SAMPLE_SEED = 'multifd-compare-sample';
export const DEFAULT_SAMPLE_SIZE = 256 * 1024 ** 2;

const CHUNK = 4 * 1024 ** 2;

/** A `size`-byte RAMBlock (a multiple of 4096) of sample memory, in shared memory. */
export function makeSample(size: number, onProgress?: (doneBytes: number) => void): RAMBlock {
  const memory = new Uint8Array(new SharedArrayBuffer(size));
  for (let at = 0, i = 0; at < size; at += CHUNK, i++) {
    fillMemory(memory.subarray(at, Math.min(size, at + CHUNK)), `${SAMPLE_SEED}:${i}`, GUEST_MIX);
    onProgress?.(Math.min(size, at + CHUNK));
  }
  return { name: SAMPLE_BLOCK, usedLength: size, memory };
}

/** The same sample written to `file` (4 MiB at a time, all-zero chunks left as holes), for the channel workers to read. */
export function writeSample(file: string, size: number, onProgress?: (doneBytes: number) => void): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.ftruncateSync(fd, size);
    const chunk = new Uint8Array(CHUNK);
    for (let at = 0, i = 0; at < size; at += CHUNK, i++) {
      const part = chunk.subarray(0, Math.min(CHUNK, size - at));
      part.fill(0);
      fillMemory(part, `${SAMPLE_SEED}:${i}`, GUEST_MIX);
      if (!isZeroRange(part, 0, part.length)) {
        for (let done = 0; done < part.length; ) done += fs.writeSync(fd, part, done, part.length - done, at + done);
      }
      onProgress?.(at + part.length);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** "256M", "16MiB", "1G", "4096" -> bytes (powers of 1024); undefined when it is not a size. */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) return undefined;
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const bytes = Math.round(Number(m[1]) * scale);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

export function isPageMultiple(bytes: number): boolean {
  return bytes > 0 && bytes % PAGE_SIZE === 0;
}
