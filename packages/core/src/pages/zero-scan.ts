/**
 * Splitting candidate pages into all-zero pages and normal pages (QEMU's
 * save_zero_page / multifd zero-page detection). Runs wherever the pages are
 * scanned: a channel worker, or an offline writer. Contiguous runs use a
 * 64 KiB memcmp fast path, so an idle guest's empty RAM scans at memory speed.
 */
import { PAGE_SIZE } from '../constants.js';
import { bufferView, isZeroRange } from './patterns.js';

/** Candidate pages: a contiguous run, or explicit offsets (each a multiple of 4096). */
export type ScanPages = { start: number; count: number } | readonly number[];

const RUN = 16 * PAGE_SIZE;

export function scanCount(pages: ScanPages): number {
  return Array.isArray(pages) ? pages.length : (pages as { count: number }).count;
}

/** Call `zero` or `normal` for every page of `pages` of `memory`, in order. */
export function splitZeroPages(memory: Uint8Array, pages: ScanPages, zero: (offset: number) => void, normal: (offset: number) => void): void {
  const mem = bufferView(memory);
  const isZero = (off: number) =>
    mem[off] === 0 && mem[off + PAGE_SIZE - 1] === 0 && mem[off + PAGE_SIZE / 2] === 0 && isZeroRange(mem, off, off + PAGE_SIZE);
  if (Array.isArray(pages)) {
    for (const off of pages as readonly number[]) (isZero(off) ? zero : normal)(off);
    return;
  }
  const { start, count } = pages as { start: number; count: number };
  const end = start + count * PAGE_SIZE;
  for (let off = start; off < end; ) {
    if (off + RUN <= end && mem[off] === 0 && isZeroRange(mem, off, off + RUN)) {
      for (const stop = off + RUN; off < stop; off += PAGE_SIZE) zero(off);
      continue;
    }
    (isZero(off) ? zero : normal)(off);
    off += PAGE_SIZE;
  }
}
