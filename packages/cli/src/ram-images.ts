/**
 * RAM images for `send`: each FILE (or NAME=FILE) becomes one RAMBlock that
 * the channel workers read from the file as they go (positioned reads, a
 * window per channel), so an image of any size costs a few MiB of memory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MultifdError, PAGE_SIZE } from '@multifd/core';
import type { FileBlockInput } from '@multifd/transport';
import { usageError } from './args.js';

/** "NAME=FILE" or "FILE" (name: the file name without .bin). */
export function parseImageArg(arg: string): { name: string; file: string } {
  const eq = arg.indexOf('=');
  if (eq > 0) return { name: arg.slice(0, eq), file: arg.slice(eq + 1) };
  return { name: path.basename(arg).replace(/\.bin$/, ''), file: arg };
}

/** One file-backed block per image; each must be a positive multiple of 4096 bytes. */
export function ramImageBlocks(args: readonly string[], cwd: string): FileBlockInput[] {
  const blocks: FileBlockInput[] = [];
  for (const arg of args) {
    const { name, file } = parseImageArg(arg);
    if (blocks.some((b) => b.name === name)) throw usageError(`RAMBlock ${JSON.stringify(name)} given twice`);
    blocks.push(ramImageBlock(name, file, cwd));
  }
  return blocks;
}

/** Image `file` as RAMBlock `name` (checked: a regular file, a positive multiple of 4096 bytes). */
export function ramImageBlock(name: string, file: string, cwd: string): FileBlockInput {
  const full = path.resolve(cwd, file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch (e) {
    throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file });
  }
  if (stat.isDirectory()) throw new MultifdError('ERR_MULTIFD_IO', 'is a directory', { file });
  if (stat.size === 0 || stat.size % PAGE_SIZE !== 0) {
    throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `${file}: ${stat.size} bytes is not a positive multiple of 4096`, { file });
  }
  return { name, file: full, usedLength: stat.size };
}
