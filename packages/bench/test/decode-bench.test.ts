import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CodecRegistry, MemorySink, PAGE_SIZE } from '@multifd/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BLOCK_NAME,
  CODECS,
  CODEC_NAMES,
  DEFAULT_OPTIONS,
  NullSink,
  decodeFiles,
  decodeToFiles,
  formatTable,
  loadChannel,
  makeImage,
  parseOptions,
  parseSize,
  rawDecode,
  runDecodeBench,
  writeWorkload,
} from '../src/index.js';

const SIZE = 4 * 1024 ** 2;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'multifd-bench-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('decode benchmark', () => {
  const image = makeImage(SIZE, 'bench-test');

  it('makes a mixed image with zero and non-zero pages', () => {
    expect(image.block.usedLength).toBe(SIZE);
    expect(image.kinds.zero).toBeGreaterThan(0);
    expect(image.kinds.random + image.kinds.text + image.kinds.code).toBeGreaterThan(0);
  });

  for (const name of CODEC_NAMES) {
    it(`${name}: every decode path rebuilds the image`, async () => {
      const codec = CODECS[name];
      const registry = new CodecRegistry();
      registry.register(codec);
      const w = await writeWorkload(path.join(tmp, name), codec, image.block, 2);
      expect(w.counts.zeroPages + w.counts.normalPages).toBe(SIZE / PAGE_SIZE);
      expect(w.payloadBytes).toBe(w.counts.normalPages * PAGE_SIZE);

      // raw: the codec loop sees every packet of both channels
      const loaded = w.files.channels.map((f) => loadChannel(codec, f));
      expect(loaded.map((c) => c.id).sort()).toEqual([0, 1]);
      expect(await rawDecode(codec, loaded)).toBe(w.counts.normalPages);

      // engine into memory: bit-exact
      const sink = new MemorySink();
      const report = await decodeFiles(w, registry, sink, 64 * 1024);
      expect(report.method?.name).toBe(codec.name);
      expect(report.main?.zeroRecords).toBe(w.counts.zeroPages);
      expect(Buffer.from(sink.block(BLOCK_NAME)!).equals(Buffer.from(image.block.memory))).toBe(true);

      // engine into the null sink: every page decoded
      const nul = new NullSink();
      await decodeFiles(w, registry, nul, 1024 ** 2);
      expect(nul.pages).toBe(w.counts.normalPages);

      // files: the block file equals the image
      const out = fs.mkdtempSync(path.join(tmp, `${name}-out-`));
      const { file } = await decodeToFiles(w, registry, out, 4 * 1024 ** 2, BLOCK_NAME);
      expect(fs.readFileSync(file).equals(Buffer.from(image.block.memory))).toBe(true);
    });
  }

  it('runs the whole benchmark on a tiny image, verified, for every codec', async () => {
    const result = await runDecodeBench({ ...DEFAULT_OPTIONS, size: SIZE, reps: 1, dir: tmp });
    expect(result.codecs.map((c) => c.codec)).toEqual([...CODEC_NAMES]);
    for (const c of result.codecs) {
      expect(c.verified).toBe(true);
      expect(c.payloadBytes).toBeGreaterThan(0);
      for (const t of [c.raw, c.engine, c.memory, c.files]) expect(t.ms).toHaveLength(1);
    }
    const table = formatTable(result);
    for (const name of CODEC_NAMES) expect(table).toMatch(new RegExp(`^${name} `, 'm'));
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('multifd-bench-'))).toEqual([]);
  });
});

describe('options', () => {
  it('parses sizes, codecs and reps from argv and env', () => {
    expect(parseSize('256M')).toBe(256 * 1024 ** 2);
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize('4096')).toBe(4096);
    const o = parseOptions(['--size', '64M', '--codecs=zstd,zlib', '--json'], { MULTIFD_BENCH_REPS: '5' });
    expect(o).toMatchObject({ size: 64 * 1024 ** 2, codecs: ['zstd', 'zlib'], reps: 5, json: true, channels: 2 });
    expect(parseOptions([], {})).toMatchObject({ size: 1024 ** 3, reps: 3, codecs: ['nocomp', 'zlib', 'zlib-node', 'zstd'], reader: 'chunks' });
    expect(parseOptions(['--help'])).toBe('help');
    expect(() => parseOptions(['--size', '1000'])).toThrow(/multiple of 4096/);
    expect(() => parseOptions(['--codecs', 'lz4'])).toThrow(/unknown codec/);
  });
});
