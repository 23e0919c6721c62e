/**
 * `multifd compare` on small inputs (an 8 MiB sample, a captured
 * migration): consistent row figures, verification, plugins, every output
 * format, --emit read back by decode, and bad input as one line with exit 1.
 * Nothing here asserts anything about time.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PAGE_SIZE, isZeroPage } from '@multifd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_HEADER, LINKS_GBPS, makeSample, placeLabels, parseCompareOptions, parseLevels, type CompareResult, type CompareRow } from '../src/index.js';
import { decodeOk, errorCode, fixtureDir, removeTempDirs, run, streamFiles, tempDir } from './helpers.js';

// One wire profile unless a test asks for both (the default), to keep the runs short.
const SAMPLE = ['--sample-size', '8M', '--profiles', 'qemu-7.2'];
const SAMPLE_BYTES = 8 * 1024 ** 2;
const CORE_URL = pathToFileURL(fileURLToPath(new URL('../../core/dist/index.js', import.meta.url))).href;

afterAll(removeTempDirs);

async function compareJson(args: string[]): Promise<CompareResult> {
  const r = await run(['compare', '--json', ...args]);
  if (r.code !== 0) throw new Error(`compare failed (${r.code}): ${r.stderr}`);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as CompareResult;
}

function zeroPagesIn(memory: Uint8Array): number {
  let n = 0;
  for (let at = 0; at < memory.length; at += PAGE_SIZE) if (isZeroPage(memory.subarray(at, at + PAGE_SIZE))) n++;
  return n;
}

/** A failed run: exit 1, one line on stderr with `code`, no stack trace, nothing on stdout. */
async function failsWith(args: string[], code: string): Promise<string> {
  const r = await run(['compare', ...args]);
  expect(r.code).toBe(code === 'ERR_MULTIFD_USAGE' ? 2 : 1);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n')).toHaveLength(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(errorCode(r.stderr)).toBe(code);
  return r.stderr;
}

/**
 * A codec plugin: pages XORed with 0x5a. `how` says how it registers
 * (exporting register(), or into the default registry on import); `corrupt`
 * makes it decode the first byte of every packet wrong.
 */
function writePlugin(dir: string, name: string, value: number, how: 'export' | 'self', corrupt = false): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(
    file,
    `import { defineCodec, defaultRegistry } from ${JSON.stringify(CORE_URL)};
const PAGE = 4096;
const codec = defineCodec({
  name: ${JSON.stringify(name)},
  value: ${value},
  sendSetup: () => ({ out: new Uint8Array(128 * PAGE) }),
  sendPrepare(state, { pages }) {
    const out = state.out.subarray(0, pages.length * PAGE);
    pages.forEach((p, i) => { for (let j = 0; j < PAGE; j++) out[i * PAGE + j] = p[j] ^ 0x5a; });
    return { payload: [out], size: out.length };
  },
  sendCleanup() {},
  recvSetup: () => ({}),
  recvPages(state, packet) {
    packet.pages.forEach((p, i) => { for (let j = 0; j < PAGE; j++) p[j] = packet.payload[i * PAGE + j] ^ 0x5a; });
    ${corrupt ? 'packet.pages[0][0] ^= 1;' : ''}
  },
  recvCleanup() {},
});
${how === 'export' ? 'export function register(registry) { registry.register(codec); }' : 'defaultRegistry.register(codec);'}
`,
  );
  return file;
}

describe('compare on the bundled sample', () => {
  let result: CompareResult;
  let emit: string;
  let sample: Uint8Array;

  beforeAll(async () => {
    emit = tempDir();
    result = await compareJson([...SAMPLE, '--methods', 'nocomp,zstd', '--levels', 'zstd:3', '--channels', '1,2', '--emit', emit]);
    sample = makeSample(SAMPLE_BYTES).memory;
  }, 120_000);

  it('no INPUT: the sample, every method, level and channel count asked', () => {
    expect(result.input.sources).toEqual(['sample (multifd-compare-sample)']);
    expect(result.input.bytes).toBe(SAMPLE_BYTES);
    expect(result.rows.map((r) => `${r.method}:${r.level}:${r.channels}`)).toEqual([
      'nocomp:null:1',
      'nocomp:null:2',
      'zstd:3:1',
      'zstd:3:2',
    ]);
  });

  it('row figures are consistent: wire = emitted files, ratio = input / wire, zero pages = those in the input', () => {
    const zeros = zeroPagesIn(sample);
    expect(zeros).toBeGreaterThan(0);
    expect(result.input.zeroPages).toBe(zeros);
    for (const r of result.rows) {
      const dir = join(emit, `${r.method}${r.level === null ? '' : `-l${r.level}`}-${r.channels}ch`);
      expect(r.emitted).toBe(dir);
      const files = readdirSync(dir).sort();
      expect(files).toEqual(['main.bin', ...Array.from({ length: r.channels }, (_, id) => `ch${id}.bin`)].sort());
      const sizes = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
      expect(r.wireBytes).toBe(sizes);
      expect(r.mainBytes + r.channelBytes.reduce((n, b) => n + b, 0)).toBe(r.wireBytes);
      expect(r.inputBytes).toBe(SAMPLE_BYTES);
      expect(r.ratio).toBeCloseTo(r.inputBytes / r.wireBytes, 10);
      expect(r.zeroPages).toBe(zeros);
      expect(r.verified).toBe(true);
      expect(r.compress.mbps).toBeGreaterThan(0);
      expect(r.decompress.mbps).toBeGreaterThan(0);
      expect(r.compress.cpuSeconds).toBeGreaterThan(0);
      expect(r.peakRssBytes).toBeGreaterThan(SAMPLE_BYTES);
      for (const g of LINKS_GBPS) {
        const link = (r.wireBytes * 8) / (g * 1e9);
        const compute = Math.max(r.inputBytes / 1e6 / r.compress.mbps, r.inputBytes / 1e6 / r.decompress.mbps);
        expect(r.transferSeconds[String(g)]).toBeCloseTo(Math.max(link, compute), 10);
      }
    }
    // nocomp carries the normal pages raw; zstd compresses them.
    const nocomp = result.rows.find((r) => r.method === 'nocomp')!;
    expect(nocomp.channelBytes.reduce((n, b) => n + b, 0)).toBeGreaterThan((SAMPLE_BYTES / PAGE_SIZE - zeros) * PAGE_SIZE);
    expect(result.rows.find((r) => r.method === 'zstd')!.ratio).toBeGreaterThan(nocomp.ratio);
  });

  it('marks exactly one best row per link speed, the fastest', () => {
    for (const g of LINKS_GBPS) {
      const best = result.rows.filter((r) => r.bestAt.includes(g));
      expect(best).toHaveLength(1);
      const min = Math.min(...result.rows.map((r) => r.transferSeconds[String(g)]!));
      expect(best[0]!.transferSeconds[String(g)]).toBe(min);
    }
  });

  it('--emit: every row decodes back to the input with multifd decode; compare.json is written last', async () => {
    for (const r of result.rows) {
      const out = tempDir();
      const files = readdirSync(r.emitted!).map((f) => join(r.emitted!, f));
      const index = await decodeOk(files, out);
      expect(index.method).toBe(r.method);
      expect(index.zeroPages).toBe(r.zeroPages);
      expect(Buffer.compare(readFileSync(join(out, 'pc.ram.bin')), Buffer.from(sample.buffer, sample.byteOffset, sample.length))).toBe(0);
    }
    expect(JSON.parse(readFileSync(join(emit, 'compare.json'), 'utf8')).rows).toHaveLength(result.rows.length);
    expect(readdirSync(emit).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

describe('output formats', () => {
  it('--csv: the header and one line per row; --svg: a Vega chart with one mark and one label per row', async () => {
    const dir = tempDir();
    const svg = join(dir, 'chart.svg');
    const r = await run(['compare', ...SAMPLE, '--methods', 'nocomp,zlib', '--channels', '1', '--zlib-backend', 'both', '--csv', '--svg', svg]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(CSV_HEADER.join(','));
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['nocomp,,1', 'zlib,1,1', 'zlib-pako,1,1']);
    for (const l of lines.slice(1)) expect(l.split(',')).toHaveLength(CSV_HEADER.length);

    const text = readFileSync(svg, 'utf8');
    expect(text).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*class="marks"/);
    const points = /<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)<\/g>/s.exec(text)?.[1] ?? '';
    expect(points.match(/<path /g)).toHaveLength(3);
    const labels = [...text.matchAll(/<g class="mark-text role-mark[^"]*"[^>]*>(.*?)<\/g>/gs)].map((m) => m[1]).join('');
    expect([...labels.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]).sort()).toEqual(['nocomp x1', 'zlib l1 x1', 'zlib-pako l1 x1']);
  });

  it('--markdown: a Markdown table, the best time at each link speed in bold', async () => {
    const md = await run(['compare', ...SAMPLE, '--methods', 'zstd', '--channels', '1', '--markdown']);
    expect(md.code, md.stderr).toBe(0);
    const rows = md.stdout.split('\n').filter((l) => l.startsWith('|'));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^\| method \| level \| ch \| profile \| input MB \| zero pages \| wire MB \| ratio \| comp MB\/s \| decomp MB\/s \|.*\| 100G s \|$/);
    expect(rows[1]).toMatch(/^\| :--- \| ---: \|/);
    expect(rows[2]).toMatch(/^\| zstd \| 1 \| 1 \| 7\.2 \| 8\.4 \| /);
    expect(md.stdout.match(/\*\*[\d.]+\*\*/g)).toHaveLength(LINKS_GBPS.length);
  });

  it('default: an aligned table on stdout, the best rows marked; a progress bar on stderr only when it is a terminal', async () => {
    const r = await run(['compare', ...SAMPLE, '--methods', 'nocomp', '--channels', '1'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^input: sample \(multifd-compare-sample\): 8\.4 MB, 2048 pages/);
    expect(r.stdout).toMatch(/^method +level +ch +profile +input MB +zero pages +wire MB +ratio/m);
    expect(r.stdout).toMatch(/^nocomp +- +1 +7\.2 +8\.4 /m);
    expect(r.stdout.match(/\d\*/g)).toHaveLength(LINKS_GBPS.length);
    expect(r.stderr).toContain('[1/1] nocomp x1');
    expect(r.stderr.endsWith('\r\x1b[K')).toBe(true);
    expect(r.stdout).not.toContain('\r');
  });
});

describe('inputs', () => {
  it('raw images (NAME=FILE names one), a decode directory and a captured migration', async () => {
    const dir = tempDir();
    const image = join(dir, 'guest.bin');
    const sample = makeSample(4 * 1024 ** 2).memory;
    writeFileSync(image, sample);
    const images = await compareJson(['--methods', 'zstd', '--channels', '2', image, `other=${image}`]);
    expect(images.input.blocks).toEqual([
      { name: 'guest', bytes: sample.length },
      { name: 'other', bytes: sample.length },
    ]);
    expect(images.rows[0]!.zeroPages).toBe(2 * zeroPagesIn(sample));

    const capture = fixtureDir('7.2', 'zstd-2ch');
    const decoded = tempDir();
    const index = await decodeOk(streamFiles(capture), decoded);
    const fromDir = await compareJson(['--methods', 'nocomp', '--channels', '1', decoded]);
    const fromCapture = await compareJson(['--methods', 'nocomp', '--channels', '1', ...streamFiles(capture)]);
    const expected = index.ramblocks.map((b) => ({ name: b.name, bytes: b.usedLength }));
    expect(fromDir.input.blocks).toEqual(expected);
    expect(fromCapture.input.blocks).toEqual(expected);
    expect(fromCapture.rows[0]!.zeroPages).toBe(fromDir.rows[0]!.zeroPages);
    expect(fromCapture.rows[0]!.wireBytes).toBe(fromDir.rows[0]!.wireBytes);
  });
});

describe('plugins', () => {
  it('--plugin: a codec file that exports register(), and one that registers itself on import', async () => {
    const dir = tempDir();
    const exported = writePlugin(dir, 'xor', 5, 'export');
    const self = writePlugin(dir, 'xorself', 6, 'self');
    const r = await compareJson([...SAMPLE, '--methods', 'xor,xorself', '--channels', '2', '--plugin', exported, '--plugin', self]);
    expect(r.rows.map((row) => `${row.method}:${row.channels}`)).toEqual(['xor:2', 'xorself:2']);
    for (const row of r.rows) expect(row.verified).toBe(true);
  });

  it('a codec that decodes wrong fails the run (exit 1) and leaves no complete-looking output', async () => {
    const dir = tempDir();
    const emit = join(dir, 'emit');
    const svg = join(dir, 'chart.svg');
    const bad = writePlugin(dir, 'xorbad', 7, 'export', true);
    mkdirSync(emit);
    writeFileSync(join(emit, 'compare.json'), '{"rows":[]}\n'); // an earlier run's result must not survive a failed one
    const line = await failsWith([...SAMPLE, '--methods', 'zstd,xorbad', '--channels', '1', '--plugin', bad, '--emit', emit, '--svg', svg], 'ERR_MULTIFD_VERIFY');
    expect(line).toMatch(/verification failed for xorbad, 1 channel: the decoded page at 0x[0-9a-f]+ of RAMBlock "pc\.ram" differs from the input/);
    expect(readdirSync(emit)).toEqual(['zstd-l1-1ch']); // the verified row only: no partial row, no compare.json
    expect(existsSync(svg)).toBe(false);
  });
});

describe('bad input: exit 1, one line, no stack trace', () => {
  it('a missing file', async () => {
    expect(await failsWith(['/nonexistent/guest.bin'], 'ERR_MULTIFD_IO')).toContain('no such file or directory (/nonexistent/guest.bin)');
  });

  it('an empty file, and a size that is not a multiple of 4096', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'empty.bin'), '');
    writeFileSync(join(dir, 'odd.bin'), Buffer.alloc(4096 + 100, 1));
    expect(await failsWith([join(dir, 'empty.bin')], 'ERR_MULTIFD_BAD_OPTION')).toContain('0 bytes is not a positive multiple of 4096');
    expect(await failsWith([join(dir, 'odd.bin')], 'ERR_MULTIFD_BAD_OPTION')).toContain('4196 bytes is not a positive multiple of 4096');
  });

  it('a captured migration that does not decode: the decoder\'s own error', async () => {
    const capture = fixtureDir('7.2', 'zstd-2ch');
    const cut = join(tempDir(), 'main.bin');
    writeFileSync(cut, readFileSync(join(capture, 'conn0-main.bin')).subarray(0, 3000));
    const files = streamFiles(capture).filter((f) => !f.endsWith('-main.bin'));
    expect(await failsWith([cut, ...files], 'ERR_MULTIFD_TRUNCATED')).toContain('main stream ends before the RAM section is complete');
  });

  it('a directory without index.json', async () => {
    expect(await failsWith([tempDir()], 'ERR_MULTIFD_IO')).toContain('not a directory written by decode or receive');
  });

  it('an output path that cannot be written fails before any row runs', async () => {
    expect(await failsWith([...SAMPLE, '--svg', '/nonexistent/dir/x.svg'], 'ERR_MULTIFD_IO')).toContain('--svg /nonexistent/dir/x.svg: the folder /nonexistent/dir does not exist');
    // Node's recursive mkdir loops forever under /proc: this must fail, not hang.
    expect(await failsWith([...SAMPLE, '--emit', '/proc/multifd-x'], 'ERR_MULTIFD_IO')).toContain('--emit /proc/multifd-x: cannot create the directory');
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    expect(await failsWith([...SAMPLE, '--emit', join(file, 'rows')], 'ERR_MULTIFD_IO')).toContain('a part of the path is not a directory');
  });

  it('an unknown method in --levels or --methods, a level out of range, a bare level: usage errors naming what is expected', async () => {
    expect(await failsWith([...SAMPLE, '--levels', 'lz4:1'], 'ERR_MULTIFD_USAGE')).toContain('--levels lz4: no codec named "lz4"');
    expect(await failsWith([...SAMPLE, '--methods', 'bogus'], 'ERR_MULTIFD_USAGE')).toContain('--methods bogus: no codec named "bogus"');
    expect(await failsWith([...SAMPLE, '--levels', 'zstd:42'], 'ERR_MULTIFD_USAGE')).toContain('zstd level 42 is outside 1-19');
    expect(await failsWith([...SAMPLE, '--levels', '99'], 'ERR_MULTIFD_USAGE')).toContain('--levels 99: a level needs its method: METHOD:LEVEL');
  });

  it('a plugin that does not load, and one that registers nothing', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'broken.mjs'), 'export const = 1;\n');
    writeFileSync(join(dir, 'nothing.mjs'), 'export const answer = 42;\n');
    expect(await failsWith([...SAMPLE, '--plugin', join(dir, 'missing.mjs')], 'ERR_MULTIFD_BAD_OPTION')).toMatch(/--plugin .*missing\.mjs: does not load: /);
    expect(await failsWith([...SAMPLE, '--plugin', join(dir, 'broken.mjs')], 'ERR_MULTIFD_BAD_OPTION')).toMatch(/--plugin .*broken\.mjs: does not load: /);
    expect(await failsWith([...SAMPLE, '--plugin', join(dir, 'nothing.mjs')], 'ERR_MULTIFD_BAD_OPTION')).toMatch(
      /--plugin .*nothing\.mjs: does not register: it neither exports register\(registry\) nor registers a codec when imported/,
    );
  });

  it('usage errors exit 2', async () => {
    for (const args of [['--json', '--csv'], ['--channels', '0'], ['--sample-size', '5000'], ['--levels', 'zstd:x'], ['--zlib-backend', 'wasm']]) {
      const r = await run(['compare', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(errorCode(r.stderr)).toBe('ERR_MULTIFD_USAGE');
    }
  });
});

describe('option parsing', () => {
  it('--levels: lists, ranges, several words, and METHOD:LEVELS words after it', () => {
    expect([...parseLevels(['zlib:1,6,9 zstd:1-3', 'nocomp'])]).toEqual([
      ['zlib', [1, 6, 9]],
      ['zstd', [1, 2, 3]],
      ['nocomp', []],
    ]);
    const o = parseCompareOptions({ levels: ['zlib:1,6,9'] }, ['zstd:1,3,9,19', 'dump.bin']);
    expect(o.inputs).toEqual(['dump.bin']);
    expect([...o.plan.levels]).toEqual([
      ['zlib', [1, 6, 9]],
      ['zstd', [1, 3, 9, 19]],
    ]);
  });

  it('defaults: channels 1 and the number of CPUs, zlib on node, a table', () => {
    const o = parseCompareOptions({}, []);
    expect(o.plan.channels[0]).toBe(1);
    expect(o.plan.zlibBackends).toEqual(['node']);
    expect(o.format).toBe('table');
  });

  it('chart labels: points close together get labels that do not overlap', () => {
    const points = [
      { x: 100, y: 100, label: 'zstd l1 x1' },
      { x: 102, y: 101, label: 'zstd l3 x1' },
      { x: 104, y: 99, label: 'zstd l9 x1' },
    ];
    const boxes = placeLabels(points).map((p, i) => {
      const w = points[i]!.label.length * 5.8;
      const x = points[i]!.x + p.dx;
      const x0 = p.align === 'left' ? x : p.align === 'right' ? x - w : x - w / 2;
      return { x0, x1: x0 + w, y0: points[i]!.y + p.dy - 5.5, y1: points[i]!.y + p.dy + 5.5 };
    });
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) expect(Math.min(a.x1, b.x1) <= Math.max(a.x0, b.x0) || Math.min(a.y1, b.y1) <= Math.max(a.y0, b.y0)).toBe(true);
    }
  });
});

describe('wire profiles side by side', () => {
  it('by default every row runs under qemu-7.2 and qemu-10: same input and pages, zero pages on the main stream or in packets, both verified', async () => {
    const emit = tempDir();
    const r = await compareJson(['--sample-size', '8M', '--methods', 'zstd', '--channels', '2', '--emit', emit]);
    expect(r.rows.map((row) => `${row.method}:${row.channels}:${row.profile}`)).toEqual(['zstd:2:qemu-7.2', 'zstd:2:qemu-10']);
    const [v72, v10] = r.rows as [CompareRow, CompareRow];
    expect(v10.zeroPages).toBe(v72.zeroPages);
    expect(v10.verified && v72.verified).toBe(true);
    // 7.2: zero pages are 9-byte main-stream records; 10: 8-byte offsets in packet headers, so the main streams differ.
    expect(v10.mainBytes).toBeLessThan(v72.mainBytes);
    expect(readdirSync(emit).sort()).toEqual(['compare.json', 'zstd-l1-2ch', 'zstd-l1-2ch-qemu10']);
  });

  it('--profiles with an unknown profile is a usage error (exit 2, one line)', async () => {
    const r = await run(['compare', '--sample-size', '8M', '--profiles', 'qemu-9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('multifd: ERR_MULTIFD_USAGE: --profiles qemu-9: expected qemu-7.2 or qemu-10\n');
  });
});

describe('compare --sample', () => {
  const ROW = ['--methods', 'zstd', '--channels', '1', '--profiles', 'qemu-7.2'];

  it('runs the rows on a seeded choice of regions with data and projects the whole input within 3 standard errors of the full run', async () => {
    const full = await compareJson([...ROW, '--sample-size', '32M']);
    const sampled = await compareJson([...ROW, '--sample-size', '32M', '--sample', '50%']);
    expect(sampled.input.sample).toMatchObject({ regions: 4, of: 8, zeroRegions: 0, regionBytes: 4 * 1024 ** 2 });
    const [f, s] = [full.rows[0]!, sampled.rows[0]!];
    expect(s.inputBytes).toBe(full.input.bytes);
    expect(s.sample!.inputBytes).toBe(16 * 1024 ** 2);
    const error = s.sample!.wireRelativeError;
    expect(error).toBeGreaterThan(0);
    expect(Math.abs(s.wireBytes / f.wireBytes - 1)).toBeLessThan(3 * error);
    // The same seed, the same regions: the same sample, the same projection.
    const again = await compareJson([...ROW, '--sample-size', '32M', '--sample', '50%']);
    expect(again.rows[0]!.sample!.inputBytes).toBe(s.sample!.inputBytes);
    expect(again.rows[0]!.wireBytes).toBe(s.wireBytes);
  });

  it('samples only regions with data: a mostly empty image is projected exactly from its one region of data', async () => {
    const dir = tempDir();
    const image = join(dir, 'mostly-empty.bin');
    const bytes = new Uint8Array(64 * 1024 ** 2);
    bytes.set(makeSample(4 * 1024 ** 2).memory, 20 * 1024 ** 2);
    writeFileSync(image, bytes);
    const full = await compareJson([...ROW, image]);
    const sampled = await compareJson([...ROW, '--sample', '1%', image]);
    expect(sampled.input.sample).toMatchObject({ regions: 1, of: 1, zeroRegions: 15 });
    expect(sampled.rows[0]!.zeroPages).toBe(full.rows[0]!.zeroPages);
    // Only the fixed overhead of a migration (its header, initial packets, syncs) is not projected.
    expect(Math.abs(sampled.rows[0]!.wireBytes - full.rows[0]!.wireBytes)).toBeLessThan(1000);
  });

  it('refuses a --sample that is neither a size nor a percentage', async () => {
    expect(await failsWith([...SAMPLE, '--sample', 'lots'], 'ERR_MULTIFD_USAGE')).toContain('--sample lots: expected a size (e.g. 1G) or a percentage (e.g. 5%)');
  });
});
