/**
 * The benchmark's input: a deterministic guest RAM image of mixed pages
 * (core's fillMemory with GUEST_MIX) and one migration of it per codec,
 * written by our own sender (core's writeMigration: zero pages as main-stream
 * records, the rest in packets dealt round-robin to the channels) to files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  GUEST_MIX,
  PAGE_SIZE,
  fillMemory,
  writeMigration,
  type AnyMultiFDMethods,
  type PageKind,
  type RAMBlock,
} from '@multifd/core';

export const BLOCK_NAME = 'pc.ram';

export interface Image {
  block: RAMBlock;
  kinds: Record<PageKind, number>;
}

/** A `size`-byte RAMBlock filled with GUEST_MIX pages from `seed`. */
export function makeImage(size: number, seed: string): Image {
  const memory = new Uint8Array(size);
  const kinds = fillMemory(memory, seed, GUEST_MIX);
  return { block: { name: BLOCK_NAME, usedLength: size, memory }, kinds };
}

export interface Workload {
  codec: AnyMultiFDMethods;
  dir: string;
  files: { main: string; channels: string[] };
  /** Planner counts: zero pages (main-stream records), normal pages, packets, syncs. */
  counts: { zeroPages: number; normalPages: number; packets: number; syncs: number };
  /** Decompressed bytes carried by multifd packets (normal pages x 4096). */
  payloadBytes: number;
  /** Bytes of all channel files (headers and payloads as on the wire). */
  channelBytes: number;
  mainBytes: number;
}

/** Write one migration of `block` with `codec` over `channels` channels into `dir`. */
export async function writeWorkload(dir: string, codec: AnyMultiFDMethods, block: RAMBlock, channels: number): Promise<Workload> {
  fs.mkdirSync(dir, { recursive: true });
  const files = { main: path.join(dir, 'main.bin'), channels: Array.from({ length: channels }, (_, id) => path.join(dir, `ch${id}.bin`)) };
  const mainFd = fs.openSync(files.main, 'w');
  const fds = files.channels.map((f) => fs.openSync(f, 'w'));
  let mainBytes = 0;
  let channelBytes = 0;
  try {
    const counts = await writeMigration({
      blocks: [block],
      codec,
      channels,
      out: {
        main(bytes) {
          mainBytes += writeAll(mainFd, [bytes]);
        },
        channel(id, chunks) {
          channelBytes += writeAll(fds[id]!, chunks);
        },
      },
    });
    return { codec, dir, files, counts: { ...counts }, payloadBytes: counts.normalPages * PAGE_SIZE, channelBytes, mainBytes };
  } finally {
    fs.closeSync(mainFd);
    for (const fd of fds) fs.closeSync(fd);
  }
}

function writeAll(fd: number, chunks: readonly Uint8Array[]): number {
  let total = 0;
  for (const c of chunks) {
    for (let done = 0; done < c.length; ) done += fs.writeSync(fd, c, done, c.length - done);
    total += c.length;
  }
  return total;
}
