/** RAM content files for `-device loader`, and where they end up in the guest. */
import fs from 'node:fs';
import path from 'node:path';
import type { Loader } from './qemu-args.js';

/** A file loaded at a guest-physical address. */
export interface BlobPlacement extends Loader {
  size: number;
}

/** A half-open guest-physical range `[start, end)`. */
export interface GuestRange {
  start: number;
  end: number;
}

/** Write `bytes` to `file` (creating its directory) and return a placement of it at `addr`. */
export async function writeBlobFile(file: string, bytes: Uint8Array, addr = 0): Promise<BlobPlacement> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await fs.promises.writeFile(file, bytes);
  return { file, addr, size: bytes.length };
}

/** `count` copies of one file at `base`, `base + stride`, … (stride defaults to the size). */
export function placeCopies(file: string, size: number, options: { base: number; count: number; stride?: number }): BlobPlacement[] {
  const stride = options.stride ?? size;
  return Array.from({ length: options.count }, (_, i) => ({ file, addr: options.base + i * stride, size }));
}

/** The guest-physical ranges the placements cover, sorted, touching ranges merged. */
export function guestRanges(placements: readonly BlobPlacement[]): GuestRange[] {
  const sorted = placements.map((p) => ({ start: p.addr, end: p.addr + p.size })).sort((a, b) => a.start - b.start);
  const merged: GuestRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last && range.start <= last.end) last.end = Math.max(last.end, range.end);
    else merged.push({ ...range });
  }
  return merged;
}

const GIB = 1024 ** 3;

/**
 * The offset in RAMBlock `pc.ram` of guest-physical address `gpa` on QEMU's
 * `pc` (i440fx) machine with `ramBytes` of RAM, or undefined where there is no
 * RAM. Below 4 GiB RAM is mapped 1:1 up to 3.5 GiB (3 GiB once the guest has
 * 3.5 GiB or more, which moves the rest above 4 GiB), as in 7.2's pc_piix.c.
 */
export function pcRamOffset(gpa: number, ramBytes: number): number | undefined {
  const below4g = ramBytes >= 3.5 * GIB ? 3 * GIB : ramBytes;
  if (gpa < below4g) return gpa;
  const above = gpa - 4 * GIB;
  if (above >= 0 && above < ramBytes - below4g) return below4g + above;
  return undefined;
}
