/** Pieces of `npm run docs:figures` (docs-figures.ts) that tests check: the section markers and the transport table. */

export interface TransportRow {
  codec: string;
  channels: number;
  pair: 'ours' | 'qemu->qemu' | 'qemu->ours';
  medianMs: number;
  senderCpuSeconds?: number;
  receiverCpuSeconds?: number;
}
export interface TransportReport {
  reps: number;
  rows: TransportRow[];
}

/** The README's table: one line per codec and channel count, the three pairs side by side. */
export function transportTable(report: TransportReport): string {
  const cpu = (r: TransportRow | undefined) => `${r?.senderCpuSeconds?.toFixed(2) ?? '-'} / ${r?.receiverCpuSeconds?.toFixed(2) ?? '-'}`;
  const lines = [
    '| codec | ch | ours ms | QEMU -> QEMU ms | QEMU -> ours ms | ours vs QEMU | QEMU -> ours vs QEMU | CPU s ours | CPU s QEMU |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const keys = [...new Set(report.rows.map((r) => `${r.codec}|${r.channels}`))];
  for (const key of keys) {
    const of = (pair: TransportRow['pair']) => report.rows.find((r) => `${r.codec}|${r.channels}` === key && r.pair === pair);
    const ours = of('ours');
    const qemu = of('qemu->qemu');
    const mixed = of('qemu->ours');
    const ratio = (a?: TransportRow) => (a && qemu ? (qemu.medianMs / a.medianMs).toFixed(2) : '-');
    const [codec, channels] = key.split('|');
    lines.push(
      `| ${codec} | ${channels} | ${ours?.medianMs.toFixed(0) ?? '-'} | ${qemu?.medianMs.toFixed(0) ?? '-'} | ${mixed?.medianMs.toFixed(0) ?? '-'} | ${ratio(ours)} | ${ratio(mixed)} | ${cpu(ours)} | ${cpu(qemu)} |`,
    );
  }
  return lines.join('\n');
}

function markers(name: string): [string, string] {
  return [`<!-- figures:${name} -->`, `<!-- /figures:${name} -->`];
}

/** `text` with the section between the markers replaced; fails when a marker is missing. */
export function replaceSection(text: string, name: string, body: string, file: string): string {
  const [open, close] = markers(name);
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`${file}: no ${open} ... ${close} markers`);
  return `${text.slice(0, start + open.length)}\n${body.trim()}\n${text.slice(end)}`;
}

