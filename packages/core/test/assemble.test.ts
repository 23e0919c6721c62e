/**
 * assembleMigration on what writeMigration produces (with the inline xor
 * codec: core's tests use no codec package), over several passes, and the
 * rules that make a migration fail.
 */
import { describe, expect, it } from 'vitest';
import {
  CodecRegistry,
  MemorySink,
  PAGE_SIZE,
  assembleMigration,
  decodePacketHeader,
  defineCodec,
  fillMemory,
  fillPage,
  isSync,
  isZeroPage,
  parseUuid,
  Prng,
  writeMigration,
  type AssembleOptions,
  type PageRef,
  type RAMBlock,
} from '../src/index.js';
import { asyncCodeOf, concat, rechunk, source, xorCodec } from './helpers.js';

const RAM_PAGES = 300;

interface Capture {
  main: Uint8Array[];
  /** Per channel, one entry per write: the initial packet, then one packet each. */
  channels: Uint8Array[][];
  ram: RAMBlock;
  bios: RAMBlock;
  counts: Awaited<ReturnType<typeof writeMigration>>;
}

const pageOf = (memory: Uint8Array, i: number) => memory.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);

/** Write a migration of pc.ram and pc.bios over `passes` (each may change RAM when it starts). */
async function capture(passes: (ram: RAMBlock, bios: RAMBlock) => Iterable<PageRef>[], uuid?: string, ramPages = RAM_PAGES): Promise<Capture> {
  const ram: RAMBlock = { name: 'pc.ram', usedLength: ramPages * PAGE_SIZE, memory: new Uint8Array(ramPages * PAGE_SIZE) };
  const bios: RAMBlock = { name: 'pc.bios', usedLength: 16 * PAGE_SIZE, memory: new Uint8Array(16 * PAGE_SIZE) };
  fillMemory(ram.memory, 'assemble/ram');
  fillMemory(bios.memory, 'assemble/bios', { code: 1 });
  const out: Capture = { main: [], channels: [[], []], ram, bios, counts: undefined as never };
  out.counts = await writeMigration({
    blocks: [ram, bios],
    codec: xorCodec,
    channels: 2,
    passes: passes(ram, bios),
    ...(uuid ? { uuid: parseUuid(uuid) } : {}),
    out: {
      main: (bytes) => void out.main.push(bytes.slice()),
      channel: (id, parts) => void out.channels[id]!.push(concat(parts)),
    },
  });
  return out;
}

function* everyPage(...blocks: RAMBlock[]): Generator<PageRef> {
  for (const b of blocks) for (let off = 0; off < b.usedLength; off += PAGE_SIZE) yield { block: b.name, offset: off };
}

/** Pages of pc.ram to change in a later pass, and what they become. */
type Changes = [page: number, kind: 'zero' | 'random' | 'text'][];

/** A later pass over pc.ram: apply `changes` when the pass starts, then send those pages. */
function* dirty(ram: RAMBlock, changes: Changes): Generator<PageRef> {
  const rng = new Prng(`dirty/${changes.length}`);
  for (const [page, kind] of changes) fillPage(pageOf(ram.memory, page), kind, rng);
  for (const [page] of [...changes].sort((a, b) => a[0] - b[0])) yield { block: ram.name, offset: page * PAGE_SIZE };
}

async function assemble(cap: Capture, options: Partial<AssembleOptions> = {}) {
  const registry = new CodecRegistry();
  registry.register(xorCodec);
  const sink = new MemorySink({ shared: false });
  const report = await assembleMigration({
    main: { label: 'main', source: source(rechunk(concat(cap.main), 5000)) },
    channels: cap.channels.map((writes, i) => ({ label: `ch${i}`, source: source(rechunk(concat(writes), 7000, i + 2)) })),
    registry,
    sink,
    channelCount: 2,
    ...options,
  });
  return { report, sink };
}

/** Pages of `memory` that differ from `expected`, by index. */
function differing(expected: Uint8Array, memory: Uint8Array | undefined): number[] {
  if (!memory || memory.length !== expected.length) return [-1];
  const out: number[] = [];
  for (let i = 0; i < expected.length / PAGE_SIZE; i++) if (!Buffer.from(pageOf(memory, i)).equals(pageOf(expected, i))) out.push(i);
  return out;
}

// Pages picked from the first pass's content: some non-zero, some zero.
const probe = new Uint8Array(RAM_PAGES * PAGE_SIZE);
fillMemory(probe, 'assemble/ram');
const nonZero = Array.from({ length: RAM_PAGES }, (_, i) => i).filter((i) => !isZeroPage(pageOf(probe, i)));
const zero = Array.from({ length: RAM_PAGES }, (_, i) => i).filter((i) => isZeroPage(pageOf(probe, i)));
const [A, B, C, D] = nonZero as [number, number, number, number];
const [Z, Y] = zero as [number, number];

/** Three passes: A turns zero then back, B is rewritten twice, Z turns non-zero then zero, C turns zero last, Y turns non-zero. */
const threePasses = (ram: RAMBlock, bios: RAMBlock): Iterable<PageRef>[] => [
  everyPage(ram, bios),
  dirty(ram, [[A, 'zero'], [B, 'random'], [Z, 'text'], [D, 'text']]),
  dirty(ram, [[A, 'random'], [B, 'text'], [Z, 'zero'], [C, 'zero'], [Y, 'random']]),
];

describe('assembleMigration', () => {
  it('rebuilds RAM over three passes: the latest copy of a page wins, pages turning zero end zero', async () => {
    const cap = await capture(threePasses);
    const { report, sink } = await assemble(cap);
    expect(differing(cap.ram.memory, sink.block('pc.ram'))).toEqual([]);
    expect(differing(cap.bios.memory, sink.block('pc.bios'))).toEqual([]);
    expect([Z, C].map((p) => isZeroPage(pageOf(sink.block('pc.ram')!, p)))).toEqual([true, true]);
    expect([A, Y].map((p) => isZeroPage(pageOf(sink.block('pc.ram')!, p)))).toEqual([false, false]);
    expect(report.method).toEqual({ name: 'xor', value: 6 });
    expect([report.epochs, report.syncMode]).toEqual([4, 'eos']);
    expect(report.channels.map((c) => [c.id, c.syncs])).toEqual([[0, 4], [1, 4]]);
    expect(report.channels.reduce((n, c) => n + c.pages, 0)).toBe(cap.counts.normalPages);
    expect(report.main?.zeroRecords).toBe(cap.counts.zeroPages);
    expect(report.ramblocks.map((b) => [b.name, b.missing])).toEqual([['pc.ram', 0], ['pc.bios', 0]]);
  });

  it('takes the channels in any order: the initial packets say which is which', async () => {
    const cap = await capture(threePasses);
    const { report, sink } = await assemble({ ...cap, channels: [...cap.channels].reverse() });
    expect(report.channels.map((c) => c.id)).toEqual([1, 0]);
    expect(differing(cap.ram.memory, sink.block('pc.ram'))).toEqual([]);
  });

  it('syncs the channels among themselves without a main stream', async () => {
    const cap = await capture((ram, bios) => [everyPage(ram, bios)]);
    const { report, sink } = await assemble(cap, { main: undefined });
    expect([report.syncMode, report.epochs]).toEqual(['channels', 2]);
    const ram = sink.block('pc.ram')!;
    expect(differing(cap.ram.memory.subarray(0, ram.length), ram)).toEqual([]);
  });

  it('refuses a channel with fewer SYNCs than the main stream has sync points (ERR_MULTIFD_SYNC_MISMATCH)', async () => {
    const cap = await capture(threePasses);
    const ch1 = cap.channels[1]!;
    const lastSync = ch1.findLastIndex((w, i) => i > 0 && isSync(decodePacketHeader(w).flags));
    const channels = [cap.channels[0]!, ch1.filter((_, i) => i !== lastSync)];
    expect(await asyncCodeOf(() => assemble({ ...cap, channels }))).toBe('ERR_MULTIFD_SYNC_MISMATCH');
  });

  it('refuses packets of another method than the migration one (ERR_MULTIFD_METHOD_MISMATCH)', async () => {
    const cap = await capture((ram, bios) => [everyPage(ram, bios)]);
    const registry = new CodecRegistry();
    registry.register(xorCodec);
    registry.register(defineCodec({ ...xorCodec, name: 'other', value: 7 }));
    expect(await asyncCodeOf(() => assemble(cap, { registry, method: 'other' }))).toBe('ERR_MULTIFD_METHOD_MISMATCH');
  });

  it('refuses a channel of another VM (uuid) and a channel id seen twice', async () => {
    const cap = await capture((ram, bios) => [everyPage(ram, bios)], '11111111-2222-3333-4444-555555555555');
    const other = await capture((ram, bios) => [everyPage(ram, bios)], '11111111-2222-3333-4444-000000000000');
    expect(await asyncCodeOf(() => assemble({ ...cap, channels: [cap.channels[0]!, other.channels[1]!] }))).toBe('ERR_MULTIFD_UUID_MISMATCH');
    expect(await asyncCodeOf(() => assemble({ ...cap, channels: [cap.channels[0]!, cap.channels[0]!] }))).toBe('ERR_MULTIFD_DUPLICATE_CHANNEL');
  });
});

describe('a slow decoder over files (decode and compare read captures this way)', () => {
  it('the pages come out exact when the codec waits before reading each payload, four packets in flight per channel', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { fileChunks } = await import('../src/index.js');
    const cap = await capture((ram, bios) => [everyPage(ram, bios), dirty(ram, [[3, 'random'], [40, 'zero'], [41, 'text'], [2999, 'random']])], undefined, 3000);
    const dir = mkdtempSync(join(tmpdir(), 'multifd-slow-decode-'));
    try {
      writeFileSync(join(dir, 'main.bin'), concat(cap.main));
      cap.channels.forEach((writes, i) => writeFileSync(join(dir, `ch${i}.bin`), concat(writes)));
      // xor, but every packet first waits for a timer: the reader has long moved on when the payload is read.
      const slowXor = defineCodec({
        ...xorCodec,
        async recvPages(state, packet) {
          await new Promise((resolve) => setTimeout(resolve, 2));
          return xorCodec.recvPages(state, packet);
        },
      });
      const registry = new CodecRegistry();
      registry.register(slowXor);
      const sink = new MemorySink({ shared: false });
      const open = (file: string) => ({ label: file, source: fileChunks(join(dir, file), { chunkSize: 256 * 1024 }) });
      await assembleMigration({ main: open('main.bin'), channels: [open('ch0.bin'), open('ch1.bin')], registry, sink, window: 4 });
      expect(differing(cap.ram.memory, sink.block('pc.ram'))).toEqual([]);
      expect(differing(cap.bios.memory, sink.block('pc.bios'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
