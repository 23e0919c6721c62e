/**
 * One channel's work for a scan step: split the candidate pages into zero and
 * normal pages and send the normal ones in packets of up to 128 pages, with
 * the channel's encoder. QEMU 7.2 style (default): zero pages are returned to
 * the caller, which writes them as main-stream ZERO records. QEMU 10.0 style
 * (`zeroInPackets`): zero pages are listed in the packets after the normal
 * ones (normal + zero <= 128 per packet), and nothing is returned.
 */
import { PAGES_PER_PACKET, PACKET_HEADER_SIZE } from '../wire/constants.js';
import { PacketEncoder, pageViews, type EncodedPacket } from '../channel-stream/packet-encoder.js';
import { splitZeroPages, type ScanPages } from '../ram/zero-pages.js';
import type { RAMBlock } from '../ram/ramblock.js';

export interface ScanResult {
  /** Zero pages to report (QEMU 7.2 style only). */
  zeros: number[];
  /** Normal pages sent. */
  normalPages: number;
  /** Zero pages listed in packets (QEMU 10.0 style). */
  zeroPagesInPackets: number;
  packets: number;
  /** Bytes of the packets (headers and payloads). */
  wireBytes: number;
}

export interface ScanOptions {
  zeroInPackets?: boolean;
  /** packet_num for each packet (QEMU: one counter shared by all channels). */
  nextNum?: () => bigint;
  /** Write one packet; its payload ranges are valid only until the promise settles (then its lease is released). */
  emit: (packet: EncodedPacket) => Promise<void> | void;
  /**
   * The block offset of a page at `offset` of `memory`, when `memory` is a
   * window of the block (a file-backed block read in pieces); default: the
   * same offset.
   */
  blockOffset?: (offset: number) => number;
}

export async function sendScan(encoder: PacketEncoder, block: Pick<RAMBlock, 'name' | 'memory'>, pages: ScanPages, options: ScanOptions): Promise<ScanResult> {
  const result: ScanResult = { zeros: [], normalPages: 0, zeroPagesInPackets: 0, packets: 0, wireBytes: 0 };
  const zeroIn = options.zeroInPackets ?? false;
  // Split first (fast, synchronous), then send: the packets' page views stay put.
  const normal: number[] = [];
  const zeros: number[] = [];
  splitZeroPages(block.memory, pages, (off) => zeros.push(off), (off) => normal.push(off));
  const at = options.blockOffset;
  const emit = async (offsets: number[], zeroOffsets: number[]) => {
    const num = options.nextNum?.();
    const p = await encoder.packet(block.name, at ? offsets.map(at) : offsets, pageViews(block.memory, offsets), {
      ...(zeroOffsets.length > 0 ? { zeroOffsets: at ? zeroOffsets.map(at) : zeroOffsets } : {}),
      ...(num !== undefined ? { num } : {}),
    });
    try {
      await options.emit(p);
    } finally {
      p.lease.release();
    }
    result.packets++;
    result.normalPages += offsets.length;
    result.zeroPagesInPackets += zeroOffsets.length;
    result.wireBytes += PACKET_HEADER_SIZE + p.payloadSize;
  };
  if (!zeroIn) {
    for (let i = 0; i < normal.length; i += PAGES_PER_PACKET) await emit(normal.slice(i, i + PAGES_PER_PACKET), []);
    result.zeros = at ? zeros.map(at) : zeros;
    return result;
  }
  // QEMU 10.0: up to 128 listed pages per packet, normal ones first.
  let n = 0;
  let z = 0;
  while (n < normal.length || z < zeros.length) {
    const takeN = Math.min(PAGES_PER_PACKET, normal.length - n);
    const takeZ = Math.min(PAGES_PER_PACKET - takeN, zeros.length - z);
    await emit(normal.slice(n, n + takeN), zeros.slice(z, z + takeZ));
    n += takeN;
    z += takeZ;
  }
  return result;
}
