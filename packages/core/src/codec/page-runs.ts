/**
 * A packet's page views as runs: views that follow each other in one buffer
 * (consecutive pages of a RAMBlock in a MemorySink, a sink's scratch space)
 * merge into one view, so a codec fills a run with one copy or one
 * decompressor call instead of one per 4 KiB page. The runs cover exactly
 * the bytes of the views, in order.
 */
import { PAGE_SIZE } from '../wire/constants.js';

export interface PageRun {
  /** Index of the run's first page in the packet. */
  readonly first: number;
  /** Pages in the run. */
  readonly count: number;
  /** The run's bytes: `count * 4096`, the pages' views back to back. */
  readonly view: Uint8Array;
}

/** `b` is the 4096-byte page right after the 4096-byte page `a`, in the same memory. */
function follows(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === PAGE_SIZE && b.length === PAGE_SIZE && b.buffer === a.buffer && b.byteOffset === a.byteOffset + PAGE_SIZE;
}

/** Split `pages` into runs of adjacent views (a view of another size is a run of its own). */
export function pageRuns(pages: readonly Uint8Array[]): PageRun[] {
  const runs: PageRun[] = [];
  for (let i = 0; i < pages.length; ) {
    const first = pages[i]!;
    let end = i + 1;
    while (end < pages.length && follows(pages[end - 1]!, pages[end]!)) end++;
    const count = end - i;
    runs.push({ first: i, count, view: count === 1 ? first : new Uint8Array(first.buffer, first.byteOffset, count * PAGE_SIZE) });
    i = end;
  }
  return runs;
}
