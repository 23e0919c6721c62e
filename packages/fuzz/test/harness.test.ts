/**
 * The fuzzer's own detectors must fire: a guard catches a write past a
 * RAMBlock, a wrapped TypeError counts as untyped, the watchdog catches a
 * hung and a dead worker and the counts stay exact.
 */
import { describe, expect, it } from 'vitest';
import { CodecRegistry, MultifdError, PAGE_SIZE, QEMU_7_2, assembleMigration, defineCodec, type AnyMultiFDMethods } from '@multifd/core';
import { nocomp } from '@multifd/nocomp';
import { GUARD_SIZE, GuardedSink, classifyThrown, fromChunks, writeSynthetic } from '../src/index.js';
import type { FuzzPool as FuzzPoolType } from '../src/pool.js';

const block = { name: 'pc.ram', usedLength: 4 * PAGE_SIZE };

describe('GuardedSink', () => {
  it('hands out views inside the block and sees nothing wrong with them', () => {
    const sink = new GuardedSink({ maxBlockBytes: 1 << 20, unknownBlockBytes: 1 << 20 });
    sink.setBlocks([block]);
    const views = sink.pageViews('ch0', block, [0, 3 * PAGE_SIZE]);
    for (const v of views) v.fill(0xee);
    sink.fillPages(block, [PAGE_SIZE], 0);
    expect(sink.check()).toEqual([]);
    expect(sink.block('pc.ram')![3 * PAGE_SIZE]).toBe(0xee);
  });

  it('finds a write one byte past the end of a block through a widened view', () => {
    const sink = new GuardedSink({ maxBlockBytes: 1 << 20, unknownBlockBytes: 1 << 20 });
    sink.setBlocks([block]);
    const last = sink.pageViews('ch0', block, [3 * PAGE_SIZE])[0]!;
    new Uint8Array(last.buffer, last.byteOffset, PAGE_SIZE + 1).fill(1);
    expect(sink.check()).toEqual([expect.stringContaining('past the end of RAMBlock "pc.ram"')]);
    // The guard is restored: the next run starts clean.
    sink.reset();
    sink.setBlocks([block]);
    expect(sink.check()).toEqual([]);
  });

  it('finds a write before the start of a block', () => {
    const sink = new GuardedSink({ maxBlockBytes: 1 << 20, unknownBlockBytes: 1 << 20 });
    sink.setBlocks([block]);
    const first = sink.pageViews('ch0', block, [0])[0]!;
    new Uint8Array(first.buffer, first.byteOffset - 1, 1)[0] = 7;
    expect(sink.check()).toEqual([expect.stringContaining('before the start')]);
    expect(GUARD_SIZE).toBeGreaterThanOrEqual(PAGE_SIZE);
  });

  it('records pages asked for outside the block, unaligned or unknown, without writing there', () => {
    const sink = new GuardedSink({ maxBlockBytes: 1 << 20, unknownBlockBytes: 1 << 20 });
    sink.setBlocks([block]);
    sink.pageViews('ch0', block, [4 * PAGE_SIZE])[0]!.fill(9);
    sink.fillPages(block, [100], 0);
    sink.pageViews('ch0', { name: 'nope', usedLength: PAGE_SIZE }, [0]);
    const v = sink.check();
    expect(v).toHaveLength(3);
    expect(v[0]).toContain('pageViews at offset 16384');
    expect(v[1]).toContain('fillPages at offset 100');
    expect(v[2]).toContain('never listed');
  });

  it('catches a codec that writes past its page views, through the whole receiver', async () => {
    // A nocomp lookalike that writes one byte more than the packet's pages.
    const overflowing = defineCodec({
      ...(nocomp as AnyMultiFDMethods),
      recvPages(_state: unknown, packet) {
        const last = packet.pages[packet.pages.length - 1]!;
        const wide = new Uint8Array(last.buffer, last.byteOffset, Math.min(PAGE_SIZE + 1, last.buffer.byteLength - last.byteOffset));
        wide.fill(0x5a);
      },
    });
    const registry = new CodecRegistry();
    registry.register(overflowing);
    const w = await writeSynthetic({ codec: nocomp, profile: QEMU_7_2, channels: 1, ramPages: 8, label: 'harness/overflow' });
    const sink = new GuardedSink({ maxBlockBytes: 1 << 24, unknownBlockBytes: 1 << 24 });
    await assembleMigration({
      main: { label: 'main', source: fromChunks([w.main]) },
      channels: [{ label: 'ch0', source: fromChunks(w.channels) }],
      registry,
      sink,
    });
    expect(sink.check().some((v) => v.includes('past the end'))).toBe(true);
  });
});

describe('classifyThrown', () => {
  it('sorts typed errors, relabelled engine errors and everything else', () => {
    expect(classifyThrown(new MultifdError('ERR_MULTIFD_TRUNCATED', 'x'))).toMatchObject({ outcome: 'error', code: 'ERR_MULTIFD_TRUNCATED' });
    expect(classifyThrown(new MultifdError('ERR_MULTIFD_CORRUPT_PAYLOAD', 'x', {}, { cause: new Error('zstd: bad frame') }))).not.toHaveProperty('untyped');
    const wrapped = classifyThrown(MultifdError.wrap(new TypeError("Cannot read properties of undefined (reading 'x')"), 'ERR_MULTIFD_CORRUPT_PAYLOAD'));
    expect(wrapped).toMatchObject({ outcome: 'error', code: 'ERR_MULTIFD_CORRUPT_PAYLOAD', untyped: 'TypeError (wrapped in ERR_MULTIFD_CORRUPT_PAYLOAD)' });
    expect(classifyThrown(new RangeError('offset is out of bounds'))).toMatchObject({ outcome: 'crash', untyped: 'RangeError' });
    expect(classifyThrown('a string')).toMatchObject({ outcome: 'crash', untyped: 'string' });
  });
});

describe('the worker pool', () => {
  // The pool's workers are compiled files: load the pool from the build (test/global-setup.ts made it).
  const load = async () => (await import(new URL('../dist/pool.js', import.meta.url).href)) as { FuzzPool: typeof FuzzPoolType };

  it('counts a hung input once, replaces the worker and runs every other input', async () => {
    const { FuzzPool } = await load();
    const pool = new FuzzPool({ workers: 1, options: { runSeed: 'pool-test', hangMs: 300 }, graceMs: 100, faults: { hangAt: 7 }, taskSize: () => 20 });
    const totals = await pool.run([{ target: 'initial', execs: 50 }]);
    const t = totals.get('initial')!;
    expect(t.execs).toBe(50);
    expect(t.hangs).toBe(1);
    expect(t.crashes).toBe(0);
    expect(t.samples).toEqual([expect.objectContaining({ kind: 'hang', index: 7 })]);
  });

  it('counts a worker that dies as a crash of the input it was running', async () => {
    const { FuzzPool } = await load();
    const pool = new FuzzPool({ workers: 1, options: { runSeed: 'pool-test', hangMs: 2000 }, faults: { exitAt: 3 }, taskSize: () => 10 });
    const totals = await pool.run([{ target: 'initial', execs: 40 }]);
    const t = totals.get('initial')!;
    expect(t.execs).toBe(40);
    expect(t.crashes).toBe(1);
    expect(t.untyped).toEqual({ 'worker exited with code 3': 1 });
    expect(t.samples[0]).toMatchObject({ kind: 'crash', index: 3 });
  });
});
