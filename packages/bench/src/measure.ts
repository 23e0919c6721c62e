/**
 * The three things the benchmark times, each over the same workload:
 *
 * - raw: the codec's recvPages loop alone over every payload, already in
 *   memory, one recv state per channel (as decode has), into a scratch
 *   buffer of page views;
 * - engine: assembleMigration over the files (main stream and channels, read
 *   with core's fileChunks), into a NullSink (decode work only) or a MemorySink;
 * - files: assembleMigration into a FileSink, what `multifd decode --out` does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ChannelFramer,
  FileSink,
  blockFileName,
  fileChunks,
  PAGE_SIZE,
  PAGES_PER_PACKET,
  assembleMigration,
  payloadLength,
  type AnyMultiFDMethods,
  type AssembleReport,
  type CodecRegistry,
  type PageSink,
  type RAMBlockInfo,
  type ReceivedPacket,
} from '@multifd/core';
import type { Workload } from './workload.js';

/** Page views of one scratch buffer per user, handed out like a sink does. */
class ScratchViews {
  readonly #byCount: Uint8Array[][] = [];
  readonly #views: Uint8Array[];

  constructor() {
    const buf = new Uint8Array(PAGES_PER_PACKET * PAGE_SIZE);
    this.#views = Array.from({ length: PAGES_PER_PACKET }, (_, i) => buf.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
  }

  /** The first `n` views (the same array every time for a given n). */
  first(n: number): Uint8Array[] {
    return (this.#byCount[n] ??= this.#views.slice(0, n));
  }
}

/** A sink that decodes every page into scratch memory and keeps nothing: the decoder's own cost. */
export class NullSink implements PageSink {
  readonly #scratch = new Map<string, ScratchViews>();
  pages = 0;

  setBlocks(): void {}

  pageViews(key: string, _block: RAMBlockInfo, offsets: readonly number[]): readonly Uint8Array[] {
    let s = this.#scratch.get(key);
    if (!s) this.#scratch.set(key, (s = new ScratchViews()));
    return s.first(offsets.length);
  }

  commitPages(_key: string, _block: RAMBlockInfo, offsets: readonly number[]): void {
    this.pages += offsets.length;
  }

  fillPages(): void {}

  close(): void {}
}

/** One channel's packets with pages, payloads in memory. */
export interface ChannelPackets {
  id: number;
  packets: Pick<ReceivedPacket, 'flags' | 'normalPages' | 'nextPacketSize' | 'payload'>[];
}

const LOAD_CHUNK = 64 * 1024 ** 2;

/** Frame a channel file (read once) into its packets with pages. */
export function loadChannel(codec: AnyMultiFDMethods, file: string): ChannelPackets {
  const framer = new ChannelFramer({
    payloadLength: (h) => payloadLength(codec, h.normalPages, h.nextPacketSize),
    stream: file,
  });
  const out: ChannelPackets = { id: -1, packets: [] };
  const fd = fs.openSync(file, 'r');
  try {
    for (;;) {
      const chunk = new Uint8Array(LOAD_CHUNK);
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      for (const frame of framer.push(chunk.subarray(0, n))) {
        if (frame.kind === 'init') out.id = frame.packet.id;
        else if (frame.header.normalPages > 0) {
          const h = frame.header;
          out.packets.push({ flags: h.flags, normalPages: h.normalPages, nextPacketSize: h.nextPacketSize, payload: frame.payload });
        }
      }
    }
    framer.finish();
  } finally {
    fs.closeSync(fd);
  }
  return out;
}

/** The codec alone: recvPages over every payload, channel by channel, into scratch views. Returns the pages decoded. */
export async function rawDecode(codec: AnyMultiFDMethods, channels: readonly ChannelPackets[]): Promise<number> {
  const scratch = new ScratchViews();
  let pages = 0;
  for (const ch of channels) {
    const state = await codec.recvSetup({ id: ch.id });
    try {
      for (const p of ch.packets) {
        await codec.recvPages(state, { flags: p.flags, normalPages: p.normalPages, nextPacketSize: p.nextPacketSize, payload: p.payload, pages: scratch.first(p.normalPages) });
        pages += p.normalPages;
      }
    } finally {
      await codec.recvCleanup(state);
    }
  }
  return pages;
}

/** How the decoder reads the files: core's fileChunks (recycled, leased buffers, read-ahead) or fs.createReadStream. */
export type Reader = 'chunks' | 'stream';

/** assembleMigration over the workload's files into `sink`. */
export function decodeFiles(w: Workload, registry: CodecRegistry, sink: PageSink, readChunk: number, reader: Reader = 'chunks'): Promise<AssembleReport> {
  const open = (file: string) => ({
    label: file,
    source: reader === 'chunks' ? fileChunks(file, { chunkSize: readChunk }) : fs.createReadStream(file, { highWaterMark: readChunk }),
  });
  return assembleMigration({
    main: open(w.files.main),
    channels: w.files.channels.map(open),
    registry,
    method: w.codec.value,
    sink,
  });
}

/** Decode into a FileSink writing to `dir`; returns the report and the file of `block`. */
export async function decodeToFiles(
  w: Workload,
  registry: CodecRegistry,
  dir: string,
  readChunk: number,
  block: string,
  reader: Reader = 'chunks',
): Promise<{ report: AssembleReport; file: string }> {
  const report = await decodeFiles(w, registry, new FileSink(dir), readChunk, reader);
  return { report, file: path.join(dir, blockFileName(block)) };
}
