/**
 * What `decode` reports: index.json (also printed by --json) and the
 * one-line summary, both built from core's AssembleReport.
 */
import type { AssembleReport } from '@multifd/core';

export const NO_MAIN_STREAM_WARNING =
  'no main stream: RAMBlock sizes are the end of the highest page received, and pages the main stream carries (zero pages on QEMU 7.2) are not known';

export interface DecodeIndex {
  /** Compression method name; null when no packet carried pages and none was given. */
  method: string | null;
  methodValue: number | null;
  channels: { id: number; file: string; packets: number; syncs: number; pages: number; zeroPages: number; bytes: number }[];
  /** Sync points completed. */
  epochs: number;
  /** What ended an epoch: EOS records (7.2), MULTIFD_FLUSH records (9+), or channel SYNCs alone (no main stream). */
  syncMode: AssembleReport['syncMode'];
  mainStream: { file: string; bytes: number; machine: string | null; zeroRecords: number; pageRecords: number } | null;
  ramblocks: {
    name: string;
    /** File name inside the output directory; null without --out. */
    file: string | null;
    usedLength: number;
    /** Distinct pages received. */
    pages: number;
    /** Pages never received; null without a main stream (the size is not known). */
    missing: number | null;
  }[];
  /** Distinct pages received, all blocks. */
  pages: number;
  /** Zero pages: main-stream ZERO records plus zero pages listed in packets (10.0). */
  zeroPages: number;
  /** Bytes read from all streams. */
  bytes: number;
  seconds: number;
  warnings: string[];
}

export function buildIndex(report: AssembleReport, files: ReadonlyMap<string, string> | undefined, seconds: number): DecodeIndex {
  const main = report.main;
  const channels = report.channels
    .map((c) => ({ id: c.id, file: c.label, packets: c.packets, syncs: c.syncs, pages: c.pages, zeroPages: c.zeroPages, bytes: c.bytes }))
    .sort((a, b) => a.id - b.id);
  const ramblocks = report.ramblocks.map((b) => ({
    name: b.name,
    file: files?.get(b.name) ?? null,
    usedLength: b.usedLength,
    pages: b.pages,
    missing: main ? b.missing : null,
  }));
  return {
    method: report.method?.name ?? null,
    methodValue: report.method?.value ?? null,
    channels,
    epochs: report.epochs,
    syncMode: report.syncMode,
    mainStream: main
      ? { file: main.label, bytes: main.bytes, machine: main.machine ?? null, zeroRecords: main.zeroRecords, pageRecords: main.pageRecords }
      : null,
    ramblocks,
    pages: ramblocks.reduce((sum, b) => sum + b.pages, 0),
    zeroPages: (main?.zeroRecords ?? 0) + channels.reduce((sum, c) => sum + c.zeroPages, 0),
    bytes: (main?.bytes ?? 0) + channels.reduce((sum, c) => sum + c.bytes, 0),
    seconds: Math.round(seconds * 1000) / 1000,
    warnings: [...(main ? [] : [NO_MAIN_STREAM_WARNING]), ...report.warnings],
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `decoded zstd: 2 channels, 3 epochs, 16466 pages, 6 RAMBlocks, 3.77 MB in 0.21 s (17.9 MB/s)` */
export function summaryLine(index: DecodeIndex, outDir?: string): string {
  const mb = index.bytes / 1e6;
  const rate = index.seconds > 0 ? mb / index.seconds : 0;
  const parts = [
    plural(index.channels.length, 'channel'),
    plural(index.epochs, 'epoch'),
    plural(index.pages, 'page'),
    plural(index.ramblocks.length, 'RAMBlock'),
    `${mb.toFixed(2)} MB in ${index.seconds.toFixed(2)} s (${rate.toFixed(1)} MB/s)`,
  ];
  const notes = [
    ...(index.mainStream ? [] : ['no main stream: RAMBlocks sized to the highest page received']),
    ...(outDir !== undefined ? [`written to ${outDir}`] : []),
  ];
  return `decoded ${index.method ?? 'unknown method'}: ${parts.join(', ')}${notes.map((n) => `; ${n}`).join('')}`;
}
