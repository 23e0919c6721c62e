/**
 * Decoding real QEMU captures with the codec's receive hooks: every channel
 * file of a capture is framed with core's ChannelFramer and each packet is
 * decoded; pages inside the blob QEMU loaded must equal its bytes, and the
 * counts must match the capture's decode-report.json.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { FLAG_SYNC, PAGE_SIZE, methodOfFlags, type AnyMultiFDMethods } from '@multifd/core';
import { receiveChannel, type ReceivedPacket } from './harness.js';
import type { TestApi } from './types.js';

export interface CaptureOptions {
  /** The capture's directory (e.g. `fixtures/qemu-7.2/zlib-2ch/`), as a file URL ending in `/`. */
  capture: URL;
  /** The blob QEMU loaded into guest memory. */
  blob: URL;
  /** RAMBlock the blob was loaded into (default `pc.ram`). */
  blobBlock?: string;
  /** Byte offset of the blob in that RAMBlock (default 0x100000). */
  blobOffset?: number;
}

/** The parts of decode-report.json the suite checks. */
interface DecodeReport {
  multifd_channels: { file: string; packets: number; sync_packets: number; pages: number; init_packet: { id: number } }[];
}

interface ChannelResult {
  file: string;
  packets: ReceivedPacket[];
  /** Pages compared with the blob, by page index in the blob. */
  blobPages: Set<number>;
  /** Descriptions of pages that differ from the blob. */
  mismatches: string[];
}

function blobPage(blob: Uint8Array, index: number): Uint8Array {
  return blob.subarray(index * PAGE_SIZE, (index + 1) * PAGE_SIZE);
}

export function qemuCaptureConformance(methods: AnyMultiFDMethods, { describe, it, expect }: TestApi, options: CaptureOptions): void {
  const report = JSON.parse(readFileSync(new URL('decode-report.json', options.capture), 'utf8')) as DecodeReport;
  const blobBlock = options.blobBlock ?? 'pc.ram';
  const blobOffset = options.blobOffset ?? 0x100000;
  const label = options.capture.pathname.split('/').filter(Boolean).slice(-2).join('/');
  let decoded: Promise<{ blob: Uint8Array; channels: ChannelResult[] }> | undefined;

  const decodeAll = async () => {
    const blob = new Uint8Array(await readFile(options.blob));
    const channels: ChannelResult[] = [];
    for (const ch of report.multifd_channels) {
      const wire = new Uint8Array(await readFile(new URL(ch.file, options.capture)));
      const packets = await receiveChannel(methods, ch.init_packet.id, wire);
      const result: ChannelResult = { file: ch.file, packets, blobPages: new Set(), mismatches: [] };
      for (const [i, p] of packets.entries()) {
        for (const [j, page] of p.pages.entries()) {
          const at = p.header.offsets[j]! - blobOffset;
          if (p.header.ramblock !== blobBlock || at < 0 || at >= blob.length) continue;
          result.blobPages.add(at / PAGE_SIZE);
          if (!Buffer.from(page).equals(blobPage(blob, at / PAGE_SIZE))) result.mismatches.push(`packet ${i} page ${j} (blob offset 0x${at.toString(16)})`);
        }
      }
      channels.push(result);
    }
    return { blob, channels };
  };
  const results = () => (decoded ??= decodeAll());

  describe(`${methods.name} decodes the QEMU capture ${label}`, () => {
    it('decodes every packet; the pages inside the blob equal its bytes', async () => {
      expect.hasAssertions();
      const { channels } = await results();
      expect(channels.flatMap((c) => c.mismatches.map((m) => `${c.file}: ${m}`))).toEqual([]);
      expect(channels.flatMap((c) => c.packets.filter((p) => p.guardDamage >= 0).map((p) => `${c.file}: packet ${p.header.packetNum}`))).toEqual([]);
      for (const c of channels) expect(c.blobPages.size, c.file).toBeGreaterThan(0);
    });

    it('finds the packets, SYNC packets and pages decode-report.json lists for each channel', async () => {
      expect.hasAssertions();
      const { channels } = await results();
      const count = (c: ChannelResult) => ({
        file: c.file,
        packets: c.packets.length,
        sync_packets: c.packets.filter((p) => p.header.flags & FLAG_SYNC).length,
        pages: c.packets.reduce((n, p) => n + p.header.normalPages, 0),
      });
      expect(channels.map(count)).toEqual(report.multifd_channels.map(({ file, packets, sync_packets, pages }) => ({ file, packets, sync_packets, pages })));
    });

    it(`sees method ${methods.value} in the flags of every packet with pages`, async () => {
      expect.hasAssertions();
      const { channels } = await results();
      const withPages = channels.flatMap((c) => c.packets.filter((p) => p.header.normalPages > 0));
      expect(withPages.length).toBeGreaterThan(0);
      expect(new Set(withPages.map((p) => methodOfFlags(p.header.flags)))).toEqual(new Set([methods.value]));
    });

    it('gets every non-zero page of the blob from the channels together', async () => {
      expect.hasAssertions();
      const { blob, channels } = await results();
      const seen = new Set(channels.flatMap((c) => [...c.blobPages]));
      const missing: number[] = [];
      for (let i = 0; i < blob.length / PAGE_SIZE; i++) {
        if (!seen.has(i) && blobPage(blob, i).some((b) => b !== 0)) missing.push(i);
      }
      expect(missing).toEqual([]);
    });
  });
}
