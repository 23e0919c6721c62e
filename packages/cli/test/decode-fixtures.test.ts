/**
 * `multifd decode` on the real QEMU captures: the blob comes back bit-exact
 * at pc.ram offset 0x100000, every RAMBlock file has its used length, and
 * the counts in index.json match the independent decoder's decode-report.json.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decompress } from 'zstd-napi';
import { afterAll, describe, expect, it } from 'vitest';
import type { DecodeIndex } from '../src/index.js';
import { FIXTURES, allZero, decodeOk, fixtureDir, readJson, removeTempDirs, run, streamFiles, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const BLOB_AT = 0x100000;
const BLOB = readFileSync(join(FIXTURES, 'qemu-7.2/blobs/dev-1.bin'));
/** Guest-physical reads of this window see VGA and ROM aliases, not pc.ram. */
const HOLE = [0xa0000, 0x100000] as const;

const METHOD_NAMES: Record<string, string> = { none: 'nocomp', zlib: 'zlib', zstd: 'zstd' };

interface ReportChannel {
  file: string;
  init_packet?: { id: number };
  packets: number;
  sync_packets: number;
  pages: number;
  zero_pages?: number;
}

function channelId(c: ReportChannel): number {
  return c.init_packet?.id ?? Number(/ch(\d+)\.bin$/.exec(c.file)![1]);
}

/** Every check shared by all captures; returns pc.ram as rebuilt. */
function checkAgainstReports(dir: string, out: string, index: DecodeIndex): Buffer {
  const report = readJson(join(dir, 'decode-report.json'));
  const manifest = readJson(join(dir, 'manifest.json'));
  expect(index.method).toBe(METHOD_NAMES[report.compression]);

  // RAMBlocks: the manifest's list, each file exactly its used length.
  const blocks = manifest.ramblocks as { name: string; used_length: number }[];
  expect(index.ramblocks.map((b) => b.name).sort()).toEqual(blocks.map((b) => b.name).sort());
  for (const b of blocks) {
    const entry = index.ramblocks.find((r) => r.name === b.name)!;
    expect(entry.usedLength, b.name).toBe(b.used_length);
    expect(entry.missing, b.name).toBe(0);
    expect(statSync(join(out, entry.file!)).size, b.name).toBe(b.used_length);
  }
  expect(index.pages).toBe(report.verify.pages_seen);

  // Channels: packets, SYNC packets and pages per channel id.
  const channels = report.multifd_channels as ReportChannel[];
  expect(index.channels.map((c) => c.id)).toEqual(channels.map(channelId).sort((a, b) => a - b));
  for (const c of channels) {
    const mine = index.channels.find((x) => x.id === channelId(c))!;
    expect({ packets: mine.packets, syncs: mine.syncs, pages: mine.pages }, c.file).toEqual({
      packets: c.packets,
      syncs: c.sync_packets,
      pages: c.pages,
    });
    expect(mine.zeroPages, c.file).toBe(c.zero_pages ?? 0);
    expect(mine.bytes, c.file).toBe(statSync(join(dir, c.file)).size);
  }
  expect(index.epochs).toBe(channels[0]!.sync_packets);

  // Main stream: its ZERO records.
  const zeroRecords = (report.main.sections as { ram_records?: { ZERO?: number } }[]).reduce((n, s) => n + (s.ram_records?.ZERO ?? 0), 0);
  expect(index.mainStream?.zeroRecords).toBe(zeroRecords);
  expect(index.mainStream?.zeroRecords).toBe(report.verify.zero_pages_on_main);
  expect(index.warnings).toEqual([]);
  expect(existsSync(join(out, 'index.json'))).toBe(true);
  expect(readJson(join(out, 'index.json'))).toEqual(index);

  const ram = readFileSync(join(out, 'pc.ram.bin'));
  expect(ram.subarray(BLOB_AT, BLOB_AT + BLOB.length).equals(BLOB), 'blob bit-exact').toBe(true);
  return ram;
}

function checkPaused(version: '7.2' | '10.0', name: string) {
  return async () => {
    const dir = fixtureDir(version, name);
    const out = tempDir();
    const index = await decodeOk(streamFiles(dir), out);
    const ram = checkAgainstReports(dir, out, index);
    expect(allZero(ram.subarray(0, BLOB_AT)), 'below the blob').toBe(true);
    expect(allZero(ram.subarray(BLOB_AT + BLOB.length)), 'above the blob').toBe(true);
  };
}

function checkRunning(version: '7.2' | '10.0', epochs: number) {
  return async () => {
    const dir = fixtureDir(version, 'running-zstd-2ch');
    const out = tempDir();
    const index = await decodeOk(streamFiles(dir), out);
    expect(index.epochs).toBe(epochs);
    const ram = checkAgainstReports(dir, out, index);
    const expected = decompress(readFileSync(join(dir, 'expected-ram.bin.zst')));
    expect(expected.length).toBe(ram.length);
    expect(allZero(ram.subarray(HOLE[0], HOLE[1])), 'pc.ram in the VGA/ROM window').toBe(true);
    expect(ram.subarray(0, HOLE[0]).equals(expected.subarray(0, HOLE[0])), 'below 0xa0000').toBe(true);
    expect(ram.subarray(HOLE[1]).equals(expected.subarray(HOLE[1])), 'from 0x100000').toBe(true);
  };
}

describe('decode: QEMU 7.2 captures', () => {
  for (const name of ['nocomp-1ch', 'nocomp-2ch', 'nocomp-2ch-dup', 'zlib-2ch', 'zstd-2ch']) {
    it(`${name}: blob bit-exact, sizes and counts as in decode-report.json`, checkPaused('7.2', name));
  }
  it('running-zstd-2ch: pc.ram equals expected-ram.bin.zst outside 0xa0000-0xfffff, 19 epochs', checkRunning('7.2', 19));
});

describe('decode: QEMU 10.0 captures', () => {
  for (const name of ['nocomp-1ch', 'nocomp-2ch', 'nocomp-2ch-m72', 'nocomp-2ch-zpd-legacy', 'zlib-2ch', 'zlib-2ch-m72', 'zstd-2ch']) {
    it(`${name}: blob bit-exact, sizes and counts as in decode-report.json`, checkPaused('10.0', name));
  }
  it('running-zstd-2ch: pc.ram equals expected-ram.bin.zst outside 0xa0000-0xfffff, 30 epochs', checkRunning('10.0', 30));
});

describe('decode: output modes', () => {
  const dir = fixtureDir('7.2', 'zstd-2ch');

  it('without --out prints one summary line and writes nothing', async () => {
    const r = await run(['decode', ...streamFiles(dir)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^decoded zstd: 2 channels, 3 epochs, 16466 pages, 6 RAMBlocks, [\d.]+ MB in [\d.]+ s \([\d.]+ MB\/s\)\n$/);
  });

  it('--json without --out prints only the index, with no file names', async () => {
    const r = await run(['decode', '--json', ...streamFiles(dir)]);
    expect(r.code).toBe(0);
    const index = JSON.parse(r.stdout) as DecodeIndex;
    expect(index.method).toBe('zstd');
    expect(index.ramblocks.every((b) => b.file === null)).toBe(true);
    expect(index.channels.map((c) => c.id)).toEqual([0, 1]);
  });

  it('--out without --json prints the summary and writes index.json', async () => {
    const out = tempDir();
    const r = await run(['decode', '--out', out, ...streamFiles(dir)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^decoded zstd: .*; written to ${out}\\n$`));
    const index = readJson<DecodeIndex>(join(out, 'index.json'));
    expect(index.ramblocks.find((b) => b.name === '/rom@etc/acpi/tables')?.file).toBe('_rom@etc_acpi_tables.bin');
  });

  it('--method zstd accepts the capture; --method zlib rejects its packets', async () => {
    expect((await run(['decode', '--method', 'zstd', ...streamFiles(dir)])).code).toBe(0);
    const out = tempDir();
    const r = await run(['decode', '--method', 'zlib', '--out', out, ...streamFiles(dir)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^multifd: ERR_MULTIFD_METHOD_MISMATCH: .*conn\d-multifd-ch\d\.bin, channel \d, packet \d+, byte \d+\)\n$/);
    expect(existsSync(join(out, 'index.json'))).toBe(false);
  });

  it('a failed decode removes the index.json of an earlier run in the same directory', async () => {
    const out = tempDir();
    await decodeOk(streamFiles(dir), out);
    expect(existsSync(join(out, 'index.json'))).toBe(true);
    const files = streamFiles(dir).filter((f) => !f.endsWith('ch1.bin'));
    files.push(join(fixtureDir('7.2', 'zlib-2ch'), 'conn1-multifd-ch1.bin'));
    const r = await run(['decode', '--out', out, ...files]);
    expect(r.code).toBe(1);
    expect(existsSync(join(out, 'index.json'))).toBe(false);
  });

  it('draws a progress bar on a TTY stderr only, and never on stdout', async () => {
    const files = streamFiles(fixtureDir('7.2', 'nocomp-2ch'));
    const tty = await run(['decode', ...files], { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(/^decoded nocomp: [^\r\x1b]*\n$/);
    expect(tty.stderr).toMatch(/\rdecode .*\d+ pages +[\d.]+ MB\/s/);
    expect(tty.stderr.endsWith('\r\x1b[K')).toBe(true);
    const plain = await run(['decode', ...files], { tty: false });
    expect(plain.stderr).toBe('');
  });
});
