/**
 * Simulated guest writes between iterations of `send --iterations K`: a
 * deterministic fraction of each block's pages is rewritten (a third of them
 * to all-zero, the rest with new content), and exactly those pages are
 * re-sent in the next pass, as a migration re-sends dirtied memory.
 */
import { PAGE_KINDS, PAGE_SIZE, Prng, fillPage } from '@multifd/core';
import type { RAMBlock } from '@multifd/core';

/** Dirty `fraction` of every block's pages for iteration `iteration`; returns their offsets per block. */
export function dirtyPages(blocks: readonly RAMBlock[], fraction: number, iteration: number): Map<string, number[]> {
  const rng = new Prng(`multifd-send-dirty-${iteration}`);
  const kinds = PAGE_KINDS.filter((k) => k !== 'zero');
  const out = new Map<string, number[]>();
  for (const b of blocks) {
    const pages = b.usedLength / PAGE_SIZE;
    const count = Math.min(pages, Math.round(pages * fraction));
    const chosen = new Set<number>();
    while (chosen.size < count) chosen.add(rng.below(pages));
    const offsets = [...chosen].sort((x, y) => x - y).map((p) => p * PAGE_SIZE);
    for (const off of offsets) {
      const page = b.memory.subarray(off, off + PAGE_SIZE);
      fillPage(page, rng.below(3) === 0 ? 'zero' : kinds[rng.below(kinds.length)]!, rng);
    }
    out.set(b.name, offsets);
  }
  return out;
}
