/**
 * `compare`'s result and its forms: the terminal table, JSON, CSV and
 * Markdown. A row's projected transfer time at a link speed is the slowest of
 * the three stages a migration pipelines (compress, the link, decompress):
 * max(wire bits / link, input / compress rate, input / decompress rate).
 */
import { WIRE_PROFILES, wireProfile } from '@multifd/core';
import { reflow } from '../text-wrap.js';
import type { RowMeasurement } from './run-row.js';

/** Link speeds the projection is made for, in Gbit/s. */
export const LINKS_GBPS = [1, 10, 25, 100] as const;

export interface CompareRow extends RowMeasurement {
  /** Projected seconds to migrate the input, by link speed ("1", "10", ...). */
  transferSeconds: Record<string, number>;
  /** Link speeds at which this row is the fastest. */
  bestAt: number[];
  /** Where --emit wrote the row's streams. */
  emitted?: string;
}

export interface CompareResult {
  input: {
    sources: string[];
    bytes: number;
    pages: number;
    zeroPages: number;
    blocks: { name: string; bytes: number }[];
    /** --sample: the rows ran on `regions` of the `of` regions of `regionBytes`; the largest relative standard error of a row's projected wire bytes. */
    sample?: { bytes: number; regions: number; of: number; zeroRegions: number; regionBytes: number; seed: string; wireRelativeError: number };
  };
  /** The machine the figures come from. */
  host: { cpus: number; node: string; loadAverage: number[] };
  linksGbps: number[];
  rows: CompareRow[];
}

export function projectedSeconds(row: Pick<RowMeasurement, 'inputBytes' | 'wireBytes' | 'compress' | 'decompress'>, gbps: number): number {
  const link = (row.wireBytes * 8) / (gbps * 1e9);
  const compute = (t: { mbps: number }) => (t.mbps > 0 ? row.inputBytes / 1e6 / t.mbps : Infinity);
  return Math.max(link, compute(row.compress), compute(row.decompress));
}

/**
 * Rows with their projections and the best row per link speed marked. Times
 * that show the same (three significant digits) are a tie, which goes to the
 * row with fewer wire bytes, then fewer channels, then the earlier row: the
 * mark does not wander between tied rows from run to run.
 */
export function withProjections(rows: readonly (RowMeasurement & { emitted?: string })[]): CompareRow[] {
  const out: CompareRow[] = rows.map((r) => ({
    ...r,
    transferSeconds: Object.fromEntries(LINKS_GBPS.map((g) => [String(g), projectedSeconds(r, g)])),
    bestAt: [],
  }));
  for (const g of LINKS_GBPS) {
    const shown = (r: CompareRow) => Number(seconds(r.transferSeconds[g]!));
    let best: CompareRow | undefined;
    for (const r of out) {
      if (!best) best = r;
      else if (shown(r) !== shown(best)) {
        if (shown(r) < shown(best)) best = r;
      } else if (r.wireBytes !== best.wireBytes ? r.wireBytes < best.wireBytes : r.channels < best.channels) best = r;
    }
    best?.bestAt.push(g);
  }
  return out;
}

const mb = (bytes: number) => bytes / 1e6;

interface Column {
  title: string;
  align: 'left' | 'right';
  /** Which columns a narrow terminal keeps: the highest. */
  keep: number;
  cell(r: CompareRow): string;
}

/** The table's columns; `mark` decorates the best time at a link speed. */
function columns(mark: (text: string) => string): Column[] {
  const time = (g: number, keep: number): Column => ({
    title: `${g}G s`,
    align: 'right',
    keep,
    cell: (r) => (r.bestAt.includes(g) ? mark(seconds(r.transferSeconds[g]!)) : seconds(r.transferSeconds[g]!)),
  });
  const keeps = [75, 72, 45, 40];
  return [
    { title: 'method', align: 'left', keep: 100, cell: (r) => r.method },
    { title: 'level', align: 'right', keep: 90, cell: (r) => (r.level === null ? '-' : String(r.level)) },
    { title: 'ch', align: 'right', keep: 90, cell: (r) => String(r.channels) },
    { title: 'profile', align: 'left', keep: 80, cell: (r) => wireProfile(r.profile).label },
    { title: 'input MB', align: 'right', keep: 20, cell: (r) => mb(r.inputBytes).toFixed(1) },
    { title: 'zero pages', align: 'right', keep: 10, cell: (r) => String(r.zeroPages) },
    { title: 'wire MB', align: 'right', keep: 50, cell: (r) => mb(r.wireBytes).toFixed(1) },
    { title: 'ratio', align: 'right', keep: 85, cell: (r) => r.ratio.toFixed(2) },
    { title: 'comp MB/s', align: 'right', keep: 70, cell: (r) => r.compress.mbps.toFixed(0) },
    { title: 'decomp MB/s', align: 'right', keep: 65, cell: (r) => r.decompress.mbps.toFixed(0) },
    { title: 'CPU s', align: 'right', keep: 35, cell: (r) => (r.compress.cpuSeconds + r.decompress.cpuSeconds).toFixed(2) },
    { title: 'peak RSS MB', align: 'right', keep: 30, cell: (r) => mb(r.peakRssBytes).toFixed(0) },
    ...LINKS_GBPS.map((g, i) => time(g, keeps[i] ?? 40)),
  ];
}

/** Three significant digits (at least the whole seconds), so near ties stay apart. */
function seconds(s: number): string {
  return s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(2) : s.toFixed(3);
}

function inputLine(result: CompareResult): string {
  const i = result.input;
  const line = `input: ${i.sources.join(', ')}: ${mb(i.bytes).toFixed(1)} MB, ${i.pages} pages (${i.zeroPages} zero${i.sample ? ', projected' : ''}) in ${i.blocks.length} RAMBlock${i.blocks.length === 1 ? '' : 's'}`;
  if (!i.sample) return line;
  const s = i.sample;
  return `${line}. Sampled: ${mb(s.bytes).toFixed(1)} MB, ${s.regions} of the ${s.of} regions of ${s.regionBytes / 1024 ** 2} MiB that hold data (${s.zeroRegions} more are all zero; seed ${s.seed}); zero pages, wire MB, ratio and times are projected to the whole input (wire bytes within ${(s.wireRelativeError * 100).toFixed(1)}%, one standard error).`;
}

const NOTES = [
  `profile ${Object.values(WIRE_PROFILES)
    .map((p) => `${p.label}: ${p.help}`)
    .join('; ')};`,
  'ratio = input / wire (main stream, initial packets, headers and payloads); MB/s of input, wall clock, all channels;',
  'CPU s = compress + decompress, all threads; "1G s".."100G s": projected time to migrate the input over that link,',
  'the slowest of link, compress and decompress.',
];

export interface TableOptions {
  /** Characters per line: columns are left out, least useful first, until the table fits. Default: every column. */
  width?: number;
}

/** The table for a terminal: aligned columns, the best time at each link speed followed by '*'. */
export function formatTable(result: CompareResult, options: TableOptions = {}): string {
  let cols = columns((t) => `${t}*`);
  const cellsOf = (cs: Column[]) => result.rows.map((r) => cs.map((c) => c.cell(r)));
  const widthsOf = (cs: Column[], cells: string[][]) => cs.map((c, i) => Math.max(c.title.length, ...cells.map((row) => row[i]!.length)));
  const lineWidth = (widths: number[]) => widths.reduce((n, w) => n + w, 0) + 2 * (widths.length - 1);
  const left: string[] = [];
  const width = options.width;
  if (width !== undefined) {
    // Drop the least useful column while the table is too wide (method, level, ch, profile and ratio always stay).
    for (;;) {
      if (lineWidth(widthsOf(cols, cellsOf(cols))) <= width) break;
      const drop = cols.filter((c) => c.keep < 85).reduce<Column | undefined>((a, c) => (!a || c.keep < a.keep ? c : a), undefined);
      if (!drop) break;
      left.push(drop.title);
      cols = cols.filter((c) => c !== drop);
    }
  }
  const cells = cellsOf(cols);
  const widths = widthsOf(cols, cells);
  const line = (values: readonly string[]) =>
    values.map((v, i) => (cols[i]!.align === 'left' ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  const wrapAt = width ?? 100;
  const notes = left.length > 0 ? [`left out to fit ${width} columns: ${left.join(', ')} (--wide, --json or --csv show every column);`, ...NOTES] : NOTES;
  return [
    reflow(inputLine(result), wrapAt),
    '',
    line(cols.map((c) => c.title)),
    ...cells.map(line),
    '',
    '* fastest at that link speed',
    reflow(notes.join(' '), wrapAt),
    '',
  ].join('\n');
}

/** A GitHub Markdown table; the best time at each link speed in bold. */
export function formatMarkdown(result: CompareResult): string {
  const cols = columns((t) => `**${t}**`);
  const row = (values: readonly string[]) => `| ${values.join(' | ')} |`;
  return [
    `${inputLine(result)}`,
    '',
    row(cols.map((c) => c.title)),
    row(cols.map((c) => (c.align === 'left' ? ':---' : '---:'))),
    ...result.rows.map((r) => row(cols.map((c) => c.cell(r)))),
    '',
    `Bold: fastest at that link speed. ${NOTES.join(' ')}`,
    '',
  ].join('\n');
}

export const CSV_HEADER = [
  'method',
  'level',
  'channels',
  'profile',
  'input_bytes',
  'zero_pages',
  'wire_bytes',
  'ratio',
  'compress_mbps',
  'decompress_mbps',
  'compress_cpu_s',
  'decompress_cpu_s',
  'peak_rss_bytes',
  ...LINKS_GBPS.map((g) => `transfer_${g}g_s`),
  'best_at_gbps',
];

/** One header line, then one line per row. */
export function formatCsv(result: CompareResult): string {
  const lines = result.rows.map((r) =>
    [
      r.method,
      r.level ?? '',
      r.channels,
      r.profile,
      r.inputBytes,
      r.zeroPages,
      r.wireBytes,
      r.ratio.toFixed(4),
      r.compress.mbps.toFixed(1),
      r.decompress.mbps.toFixed(1),
      r.compress.cpuSeconds.toFixed(3),
      r.decompress.cpuSeconds.toFixed(3),
      r.peakRssBytes,
      ...LINKS_GBPS.map((g) => r.transferSeconds[g]!.toFixed(3)),
      r.bestAt.join(' '),
    ].join(','),
  );
  return `${[CSV_HEADER.join(','), ...lines].join('\n')}\n`;
}

export function formatJson(result: CompareResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}
