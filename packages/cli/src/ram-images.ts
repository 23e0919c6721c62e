/**
 * RAM images for `send`: each FILE (or NAME=FILE) becomes one RAMBlock, read
 * into shared memory so the channel workers send it without copies.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MultifdError, PAGE_SIZE, isZeroRange } from '@multifd/core';
import type { RAMBlockInput } from '@multifd/transport';
import { usageError } from './args.js';

/** "NAME=FILE" or "FILE" (name: the file name without .bin). */
export function parseImageArg(arg: string): { name: string; file: string } {
  const eq = arg.indexOf('=');
  if (eq > 0) return { name: arg.slice(0, eq), file: arg.slice(eq + 1) };
  return { name: path.basename(arg).replace(/\.bin$/, ''), file: arg };
}

/**
 * Read the memory once more after loading it. On the VMs this runs on, the
 * first read of freshly written memory costs about as much as writing it
 * (~7 us per page: the host backs the pages lazily), which would otherwise
 * land in the middle of the migration's zero-page scan. QEMU's
 * -mem-prealloc does the same for guest RAM.
 */
function warm(memory: Uint8Array): void {
  isZeroRange(memory, 0, memory.length);
  const view = Buffer.from(memory.buffer, memory.byteOffset, memory.byteLength);
  let sum = 0;
  for (let at = 0; at < view.length; at += PAGE_SIZE) sum += view[at]!;
  if (sum < 0) throw new Error('unreachable');
}

/** Read every image into SharedArrayBuffer-backed memory. */
export function loadRamImages(args: readonly string[], cwd: string): RAMBlockInput[] {
  const blocks: RAMBlockInput[] = [];
  for (const arg of args) {
    const { name, file } = parseImageArg(arg);
    if (blocks.some((b) => b.name === name)) throw usageError(`RAMBlock ${JSON.stringify(name)} given twice`);
    blocks.push(loadRamImage(name, file, cwd));
  }
  return blocks;
}

/** Read one image (a positive multiple of 4096 bytes) into SharedArrayBuffer-backed memory, as RAMBlock `name`. */
export function loadRamImage(name: string, file: string, cwd: string): RAMBlockInput {
  const full = path.resolve(cwd, file);
  let fd: number;
  try {
    fd = fs.openSync(full, 'r');
  } catch (e) {
    throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file });
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0 || size % PAGE_SIZE !== 0) {
      throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `${file}: ${size} bytes is not a positive multiple of 4096`, { file });
    }
    const memory = new Uint8Array(new SharedArrayBuffer(size));
    for (let at = 0; at < size; ) {
      const n = fs.readSync(fd, memory, at, Math.min(size - at, 16 << 20), at);
      if (n === 0) throw new MultifdError('ERR_MULTIFD_TRUNCATED', `${file} shrank while reading`, { file, byteOffset: at });
      at += n;
    }
    warm(memory);
    return { name, memory };
  } finally {
    fs.closeSync(fd);
  }
}
