/**
 * Simulated guest writes between iterations of `send --iterations K`: a
 * deterministic fraction of each block's pages is rewritten (a third of them
 * to all-zero, the rest with new content), and exactly those pages are
 * re-sent in the next pass, as a migration re-sends dirtied memory.
 *
 * A block in memory is rewritten in place. A block read from its image file
 * is never written: its rewritten pages go to an overlay file (sparse, at
 * the page's own offset) and a shared bitmap tells the channel workers which
 * pages to read from there (transport's PageOverlay).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PAGE_KINDS, PAGE_SIZE, Prng, blockFileName, blockView, fillPage, isZeroRange } from '@multifd/core';
import type { FileBlockInput, SenderBlock } from '@multifd/transport';

/** `blocks` with an empty overlay each, its file in `dir`. */
export function withOverlays(blocks: readonly FileBlockInput[], dir: string): FileBlockInput[] {
  return blocks.map((b, i) => {
    const file = path.join(dir, `overlay-${i}.bin`);
    const fd = fs.openSync(file, 'w');
    fs.ftruncateSync(fd, b.usedLength!);
    fs.closeSync(fd);
    const pages = b.usedLength! / PAGE_SIZE;
    return { ...b, overlay: { file, dirty: new Uint8Array(new SharedArrayBuffer(Math.ceil(pages / 8))) } };
  });
}

/** Dirty `fraction` of every block's pages for iteration `iteration`; returns their offsets per block. */
export function dirtyPages(blocks: readonly SenderBlock[], fraction: number, iteration: number): Map<string, number[]> {
  const rng = new Prng(`multifd-send-dirty-${iteration}`);
  const kinds = PAGE_KINDS.filter((k) => k !== 'zero');
  const out = new Map<string, number[]>();
  const scratch = new Uint8Array(PAGE_SIZE);
  for (const b of blocks) {
    const pages = b.usedLength / PAGE_SIZE;
    const count = Math.min(pages, Math.round(pages * fraction));
    const chosen = new Set<number>();
    while (chosen.size < count) chosen.add(rng.below(pages));
    const offsets = [...chosen].sort((x, y) => x - y).map((p) => p * PAGE_SIZE);
    const overlayFd = b.overlay ? fs.openSync(b.overlay.file, 'r+') : undefined;
    try {
      for (const off of offsets) {
        const page = b.memory ? b.memory.subarray(off, off + PAGE_SIZE) : b.region ? blockView(b.region, off, PAGE_SIZE) : scratch;
        fillPage(page, rng.below(3) === 0 ? 'zero' : kinds[rng.below(kinds.length)]!, rng);
        if (overlayFd === undefined) continue;
        fs.writeSync(overlayFd, page, 0, PAGE_SIZE, off);
        const p = off / PAGE_SIZE;
        b.overlay!.dirty[p >> 3]! |= 1 << (p & 7);
      }
    } finally {
      if (overlayFd !== undefined) fs.closeSync(overlayFd);
    }
    out.set(b.name, offsets);
  }
  return out;
}

/** Write each block as it is now to DIR/<block>.bin: an image file sparsely (zero MiBs skipped), its overlay's pages over it. */
export function saveFinal(blocks: readonly SenderBlock[], dir: string): void {
  const CHUNK = 16 << 20;
  for (const b of blocks) {
    const target = path.join(dir, blockFileName(b.name));
    if (b.memory) {
      fs.writeFileSync(target, b.memory.subarray(0, b.usedLength));
      continue;
    }
    if (b.region) {
      const fd = fs.openSync(target, 'w');
      try {
        fs.ftruncateSync(fd, b.usedLength);
        for (let at = 0; at < b.usedLength; at += CHUNK) {
          const chunk = blockView(b.region, at, Math.min(CHUNK, b.usedLength - at));
          if (!isZeroRange(chunk, 0, chunk.length)) writeFully(fd, chunk, at);
        }
      } finally {
        fs.closeSync(fd);
      }
      continue;
    }
    const out = fs.openSync(target, 'w');
    const src = fs.openSync(b.file!, 'r');
    const ov = b.overlay ? fs.openSync(b.overlay.file, 'r') : undefined;
    try {
      fs.ftruncateSync(out, b.usedLength);
      const buf = new Uint8Array(Math.min(CHUNK, b.usedLength));
      for (let at = 0; at < b.usedLength; at += buf.length) {
        const chunk = buf.subarray(0, Math.min(buf.length, b.usedLength - at));
        readFully(src, chunk, at);
        if (ov !== undefined) {
          for (let off = 0; off < chunk.length; off += PAGE_SIZE) {
            const p = (at + off) / PAGE_SIZE;
            if (b.overlay!.dirty[p >> 3]! & (1 << (p & 7))) readFully(ov, chunk.subarray(off, off + PAGE_SIZE), at + off);
          }
        }
        if (!isZeroRange(chunk, 0, chunk.length)) writeFully(out, chunk, at);
      }
    } finally {
      for (const fd of [out, src, ov]) if (fd !== undefined) fs.closeSync(fd);
    }
  }
}

function readFully(fd: number, into: Uint8Array, position: number): void {
  for (let done = 0; done < into.length; ) {
    const n = fs.readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) throw new Error(`short read at ${position + done}`);
    done += n;
  }
}

function writeFully(fd: number, from: Uint8Array, position: number): void {
  for (let done = 0; done < from.length; ) done += fs.writeSync(fd, from, done, from.length - done, position + done);
}
