/**
 * Hostile input: real captures cut short at many byte offsets, and real
 * headers with bytes changed. Every run must end in success or in one
 * MultifdError line with a code from a known set: never another exception,
 * never a file longer than its RAMBlock's used length, and never an
 * index.json after a failure.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INITIAL_PACKET_SIZE, PACKET_HEADER_SIZE, blockFileName, decodePacketHeader } from '@multifd/core';
import { errorCode, fixtureDir, readJson, removeTempDirs, run, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const DIR = fixtureDir('7.2', 'zstd-2ch');
const MAIN = join(DIR, 'conn0-main.bin');
const CH0 = join(DIR, 'conn2-multifd-ch0.bin');
const CH1 = join(DIR, 'conn1-multifd-ch1.bin');
const USED = new Map(
  (readJson(join(DIR, 'manifest.json')).ramblocks as { name: string; used_length: number }[]).map((b) => [blockFileName(b.name), b.used_length]),
);
/** Where the main stream's device state starts: cuts from here on leave the RAM section whole. */
const RAM_END: number = readJson(join(DIR, 'decode-report.json')).main.device_state_offset;

/** Every code a hostile stream may produce. */
const INPUT_CODES = new Set([
  'ERR_MULTIFD_BAD_MAGIC',
  'ERR_MULTIFD_BAD_VERSION',
  'ERR_MULTIFD_TRUNCATED',
  'ERR_MULTIFD_PAGES_ALLOC',
  'ERR_MULTIFD_NORMAL_PAGES',
  'ERR_MULTIFD_BAD_FLAGS',
  'ERR_MULTIFD_METHOD_MISMATCH',
  'ERR_MULTIFD_UNKNOWN_METHOD',
  'ERR_MULTIFD_UNKNOWN_RAMBLOCK',
  'ERR_MULTIFD_OFFSET_RANGE',
  'ERR_MULTIFD_OFFSET_ALIGN',
  'ERR_MULTIFD_PAYLOAD_SIZE',
  'ERR_MULTIFD_CORRUPT_PAYLOAD',
  'ERR_MULTIFD_BAD_RAMBLOCK_NAME',
  'ERR_MULTIFD_UUID_MISMATCH',
  'ERR_MULTIFD_DUPLICATE_CHANNEL',
  'ERR_MULTIFD_MAIN_STREAM',
  'ERR_MULTIFD_UNSUPPORTED',
  'ERR_MULTIFD_SYNC_MISMATCH',
  'ERR_MULTIFD_STREAM_KIND',
  'ERR_MULTIFD_INCOMPLETE',
  'ERR_MULTIFD_TOO_LARGE',
]);

interface Outcome {
  ok: boolean;
  code?: string;
  line: string;
}

/** Decode `files` into a fresh directory and check the invariants that hold whatever the input. */
async function decodeHostile(files: string[]): Promise<Outcome> {
  const out = tempDir('multifd-hostile-');
  const r = await run(['decode', '--out', out, ...files]);
  for (const name of readdirSync(out)) {
    if (name === 'index.json') continue;
    expect(USED.has(name), `unexpected file ${name}`).toBe(true);
    expect(statSync(join(out, name)).size, name).toBeLessThanOrEqual(USED.get(name)!);
  }
  if (r.code === 0) {
    expect(existsSync(join(out, 'index.json'))).toBe(true);
    return { ok: true, line: r.stdout };
  }
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n'), 'one line').toHaveLength(2);
  const code = errorCode(r.stderr);
  expect(INPUT_CODES.has(code ?? ''), r.stderr).toBe(true);
  expect(existsSync(join(out, 'index.json')), 'index.json after a failure').toBe(false);
  expect(readdirSync(out).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  return { ok: false, ...(code ? { code } : {}), line: r.stderr };
}

function writeTemp(name: string, bytes: Uint8Array): string {
  const file = join(tempDir('multifd-input-'), name);
  writeFileSync(file, bytes);
  return file;
}

/** `count` offsets spread over [0, size), plus the `extra` ones, sorted and distinct. */
function cutPoints(size: number, count: number, extra: number[]): number[] {
  const points = new Set(extra.filter((p) => p >= 0 && p < size));
  for (let i = 0; i < count; i++) points.add(Math.floor((i * size) / count) + (i % 7));
  return [...points].filter((p) => p < size).sort((a, b) => a - b);
}

interface HeaderAt {
  at: number;
  normalPages: number;
  payload: number;
}

/** The packet headers of a channel file (zstd: payload = next_packet_size when there are pages). */
function headers(bytes: Uint8Array): HeaderAt[] {
  const out: HeaderAt[] = [];
  for (let at = INITIAL_PACKET_SIZE; at < bytes.length; ) {
    const h = decodePacketHeader(bytes.subarray(at, at + PACKET_HEADER_SIZE), at);
    const payload = h.normalPages > 0 ? h.nextPacketSize : 0;
    out.push({ at, normalPages: h.normalPages, payload });
    at += PACKET_HEADER_SIZE + payload;
  }
  return out;
}

describe('decode: streams cut short', () => {
  const ch1 = readFileSync(CH1);
  const hs = headers(ch1);
  const withPages = hs.find((h) => h.normalPages > 0)!;

  it(`a channel cut at 60+ offsets always fails with TRUNCATED or SYNC_MISMATCH`, async () => {
    const special = [0, 1, 3, 4, 10, 24, 63, 64, 65, 64 + 100, 64 + PACKET_HEADER_SIZE - 1, withPages.at + 8, withPages.at + PACKET_HEADER_SIZE, withPages.at + PACKET_HEADER_SIZE + 1000];
    special.push(...hs.map((h) => h.at)); // between packets
    const codes = new Map<string, number>();
    for (const cut of cutPoints(ch1.length, 60, special)) {
      const file = writeTemp('conn1-multifd-ch1.bin', ch1.subarray(0, cut));
      const o = await decodeHostile([MAIN, CH0, file]);
      expect(o.ok, `cut at ${cut}`).toBe(false);
      codes.set(o.code!, (codes.get(o.code!) ?? 0) + 1);
      expect(['ERR_MULTIFD_TRUNCATED', 'ERR_MULTIFD_SYNC_MISMATCH'], `cut at ${cut}: ${o.line}`).toContain(o.code);
      if (cut >= 4) expect(o.line, 'names the file').toContain(file);
    }
    expect(codes.get('ERR_MULTIFD_TRUNCATED')).toBeGreaterThan(40);
    expect(codes.get('ERR_MULTIFD_SYNC_MISMATCH')).toBeGreaterThan(0);
  });

  it('the main stream cut at 60+ offsets fails with TRUNCATED inside the RAM section, decodes after it', async () => {
    const main = readFileSync(MAIN);
    const special = [0, 2, 4, 7, 8, 9, 26, 60, 195, 196, 197, RAM_END - 1, RAM_END, RAM_END + 1];
    for (const cut of cutPoints(main.length, 60, special)) {
      const file = writeTemp('conn0-main.bin', main.subarray(0, cut));
      const o = await decodeHostile([file, CH1, CH0]);
      if (cut >= RAM_END) {
        expect(o.ok, `cut at ${cut}: ${o.line}`).toBe(true);
      } else {
        expect(o.code, `cut at ${cut}: ${o.line}`).toBe('ERR_MULTIFD_TRUNCATED');
        expect(o.line).toMatch(/, byte \d+\)\n$/);
      }
    }
  });
});

describe('decode: changed header bytes', () => {
  const ch1 = readFileSync(CH1);
  const hs = headers(ch1);
  const first = hs.find((h) => h.normalPages > 0)!;
  const later = hs.filter((h) => h.normalPages > 0)[1]!;

  const xor = (bytes: Uint8Array, at: number, mask: number) => (bytes[at] = bytes[at]! ^ mask);
  const u32 = (bytes: Uint8Array, at: number, value: number) => new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value, false);
  const u64 = (bytes: Uint8Array, at: number, high: number, low: number) => {
    u32(bytes, at, high);
    u32(bytes, at + 4, low);
  };

  type Mutation = [name: string, change: (b: Uint8Array) => void, codes: string[]];
  const mutations: Mutation[] = [
    ['initial packet magic', (b) => (b[0] = 0x12), ['ERR_MULTIFD_STREAM_KIND']],
    ['initial packet version', (b) => u32(b, 4, 2), ['ERR_MULTIFD_BAD_VERSION']],
    ['initial packet uuid', (b) => (b[8] = 1), ['ERR_MULTIFD_UUID_MISMATCH']],
    ['initial packet id = the other channel', (b) => (b[24] = 0), ['ERR_MULTIFD_DUPLICATE_CHANNEL']],
    ['packet magic', (b) => xor(b, first.at + 3, 0xff), ['ERR_MULTIFD_BAD_MAGIC']],
    ['packet version', (b) => u32(b, first.at + 4, 7), ['ERR_MULTIFD_BAD_VERSION']],
    ['unknown flag bit', (b) => u32(b, first.at + 8, 0x80), ['ERR_MULTIFD_BAD_FLAGS']],
    ['method bits: zlib in a zstd migration', (b) => u32(b, later.at + 8, 0x02), ['ERR_MULTIFD_METHOD_MISMATCH']],
    ['method bits: method 7', (b) => u32(b, first.at + 8, 0x0e), ['ERR_MULTIFD_UNKNOWN_METHOD', 'ERR_MULTIFD_METHOD_MISMATCH']],
    ['pages_alloc 129', (b) => u32(b, first.at + 12, 129), ['ERR_MULTIFD_PAGES_ALLOC']],
    ['pages_alloc 0xffffffff', (b) => u32(b, first.at + 12, 0xffffffff), ['ERR_MULTIFD_PAGES_ALLOC']],
    ['normal_pages 129', (b) => u32(b, first.at + 16, 129), ['ERR_MULTIFD_NORMAL_PAGES']],
    ['normal_pages one less', (b) => u32(b, first.at + 16, first.normalPages - 1), ['ERR_MULTIFD_PAYLOAD_SIZE', 'ERR_MULTIFD_CORRUPT_PAYLOAD']],
    ['normal_pages one more', (b) => u32(b, first.at + 16, first.normalPages + 1), ['ERR_MULTIFD_PAYLOAD_SIZE', 'ERR_MULTIFD_CORRUPT_PAYLOAD', 'ERR_MULTIFD_NORMAL_PAGES', 'ERR_MULTIFD_OFFSET_ALIGN']],
    ['next_packet_size huge', (b) => u32(b, first.at + 20, 0x7fffffff), ['ERR_MULTIFD_PAYLOAD_SIZE']],
    ['next_packet_size + 1', (b) => u32(b, first.at + 20, first.payload + 1), [...INPUT_CODES]],
    ['next_packet_size - 1', (b) => u32(b, first.at + 20, first.payload - 1), [...INPUT_CODES]],
    ['ramblock name unknown', (b) => (b[first.at + 64 + 5] = 0x58), ['ERR_MULTIFD_UNKNOWN_RAMBLOCK']],
    ['ramblock name empty', (b) => (b[first.at + 64] = 0), ['ERR_MULTIFD_BAD_RAMBLOCK_NAME']],
    ['ramblock name without NUL', (b) => b.fill(0x41, first.at + 64, first.at + 320), ['ERR_MULTIFD_BAD_RAMBLOCK_NAME']],
    ['offset unaligned', (b) => (b[first.at + 320 + 7] = 0x01), ['ERR_MULTIFD_OFFSET_ALIGN']],
    ['offset past the block', (b) => u64(b, first.at + 320, 0, 0xfffff000), ['ERR_MULTIFD_OFFSET_RANGE']],
    ['offset of 2^63', (b) => u64(b, first.at + 320, 0x80000000, 0), ['ERR_MULTIFD_OFFSET_RANGE']],
    ['last offset past the block', (b) => u64(b, first.at + 320 + 8 * (first.normalPages - 1), 0, 0x04000000), ['ERR_MULTIFD_OFFSET_RANGE']],
  ];

  for (const [name, change, codes] of mutations) {
    it(`${name}: ${codes.length > 3 ? 'a known code' : codes.join(' or ')}`, async () => {
      const bytes = Uint8Array.from(ch1);
      change(bytes);
      const o = await decodeHostile([MAIN, CH0, writeTemp('ch1.bin', bytes)]);
      expect(o.ok, `still decoded: ${o.line}`).toBe(false);
      expect(codes, o.line).toContain(o.code);
    });
  }

  it('a changed payload byte never escapes the checks', async () => {
    for (const delta of [0, 1, 100, 5000]) {
      const bytes = Uint8Array.from(ch1);
      xor(bytes, first.at + PACKET_HEADER_SIZE + delta, 0x5a);
      await decodeHostile([MAIN, CH0, writeTemp('ch1.bin', bytes)]);
    }
  });

  it('random bytes in every header: success or a known code', async () => {
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    for (const h of hs) {
      const bytes = Uint8Array.from(ch1);
      for (let k = 0; k < 3; k++) bytes[h.at + (next() % PACKET_HEADER_SIZE)] = next() & 0xff;
      await decodeHostile([MAIN, CH0, writeTemp('ch1.bin', bytes)]);
    }
  });

  it('changed main-stream bytes: success or a known code', async () => {
    const main = readFileSync(MAIN);
    const at = [0, 3, 7, 8, 12, 30, 45, 60, 80, 100, 150, 190, 196, 205, 300, 1000, 20000, 140000];
    for (const pos of at) {
      for (const value of [0x00, 0xff]) {
        const bytes = Uint8Array.from(main);
        bytes[pos] = bytes[pos] === value ? value ^ 0x55 : value;
        await decodeHostile([writeTemp('main.bin', bytes), CH1, CH0]);
      }
    }
  });
});

describe('decode: changed header bytes in a QEMU 10.0 capture', () => {
  const dir = fixtureDir('10.0', 'zstd-2ch');
  const ch0 = readFileSync(join(dir, 'conn2-multifd-ch0.bin'));
  const zeroOnly = (() => {
    for (let at = INITIAL_PACKET_SIZE; at < ch0.length; ) {
      const h = decodePacketHeader(ch0.subarray(at, at + PACKET_HEADER_SIZE), at);
      if (h.normalPages === 0 && h.zeroPages > 0) return at;
      at += PACKET_HEADER_SIZE + (h.normalPages > 0 ? h.nextPacketSize : 0);
    }
    throw new Error('the capture has no zero-only packet');
  })();

  // Zero-only packets carry no payload, but QEMU 10.0 still sets the
  // method bit on them; a packet naming another method is not this migration's.
  it('method bits of a zero-only packet: zlib in a zstd migration is ERR_MULTIFD_METHOD_MISMATCH', async () => {
    const intact = await run(['decode', join(dir, 'conn0-main.bin'), join(dir, 'conn1-multifd-ch1.bin'), join(dir, 'conn2-multifd-ch0.bin')]);
    expect(intact.code, intact.stderr).toBe(0);
    const bytes = Uint8Array.from(ch0);
    new DataView(bytes.buffer).setUint32(zeroOnly + 8, 0x02, false);
    const r = await run(['decode', join(dir, 'conn0-main.bin'), join(dir, 'conn1-multifd-ch1.bin'), writeTemp('ch0.bin', bytes)]);
    expect(r.code).toBe(1);
    expect(errorCode(r.stderr), r.stderr).toBe('ERR_MULTIFD_METHOD_MISMATCH');
  });
});
