/** compare's table: columns for the terminal's width, and a fastest mark that does not wander between tied rows. */
import { describe, expect, it } from 'vitest';
import { formatTable, withProjections, type CompareResult, type RowMeasurement } from '../src/index.js';
import { commandHelp, globalHelp } from '../src/help.js';
import { COMMANDS } from '../src/index.js';

function row(method: string, channels: number, wireBytes: number, mbps: number): RowMeasurement {
  const timed = { seconds: 1, cpuSeconds: 1.234, mbps };
  return {
    method,
    level: method === 'nocomp' ? null : 1,
    channels,
    profile: 'qemu-7.2',
    inputBytes: 268_435_456,
    zeroPages: 12_345,
    wireBytes,
    mainBytes: 1000,
    channelBytes: [wireBytes],
    ratio: 268_435_456 / wireBytes,
    compress: timed,
    decompress: timed,
    peakRssBytes: 700_000_000,
    verified: true,
  };
}

function result(rows: RowMeasurement[]): CompareResult {
  return {
    input: { sources: ['a-memory-dump-with-a-long-name.bin'], bytes: 268_435_456, pages: 65_536, zeroPages: 12_345, blocks: [{ name: 'pc.ram', bytes: 268_435_456 }] },
    host: { cpus: 2, node: 'v20', loadAverage: [0, 0, 0] },
    linksGbps: [1, 10, 25, 100],
    rows: withProjections(rows),
  };
}

const SAMPLE = () => result([row('nocomp', 1, 270_000_000, 900), row('zlib', 2, 90_000_000, 120), row('zstd', 2, 75_000_000, 800)]);

describe('compare table', () => {
  it('fits an 80-column terminal: every line within 80, the key columns kept, what was left out said', () => {
    const text = formatTable(SAMPLE(), { width: 80 });
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    const header = text.split('\n').find((l) => l.startsWith('method'))!;
    for (const title of ['method', 'level', 'ch', 'profile', 'ratio', '1G s', '10G s']) expect(header).toContain(title);
    expect(text).toMatch(/left out to fit 80 columns: zero pages, input MB/);
  });

  it('shows every column without a width (--wide, or not a terminal)', () => {
    const header = formatTable(SAMPLE()).split('\n')[2]!;
    for (const title of ['input MB', 'zero pages', 'wire MB', 'CPU s', 'peak RSS MB', '25G s', '100G s']) expect(header).toContain(title);
    expect(formatTable(SAMPLE())).not.toMatch(/left out/);
  });

  it('gives a tie (the same time shown) to the row with fewer wire bytes, whatever the order and the unseen digits', () => {
    // 1 Gbit/s is link-bound for both: 2.4 s and 2.4000001 s show alike.
    const a = row('zstd', 1, 300_000_000, 5000);
    const b = { ...row('zstd', 2, 299_999_990, 5000) };
    for (const rows of [[a, b], [b, a]]) {
      const best = withProjections(rows).find((r) => r.bestAt.includes(1))!;
      expect(best.channels).toBe(2);
    }
    const c = { ...row('zstd', 4, 300_000_000, 5000) };
    for (const rows of [[a, c], [c, a]]) expect(withProjections(rows).find((r) => r.bestAt.includes(1))!.channels).toBe(1);
  });
});

describe('help', () => {
  it('fits 80 columns for every command, and 60 when the terminal is that narrow', () => {
    for (const width of [80, 60]) {
      for (const text of [globalHelp(COMMANDS, '0.0.0', width), ...COMMANDS.map((c) => commandHelp(c, width))]) {
        for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(width);
      }
    }
  });

  it('names both wire versions it speaks', () => {
    expect(globalHelp(COMMANDS, '0.0.0')).toMatch(/QEMU 7\.2 and 10\.0/);
  });
});
