/**
 * A whole migration with the codec: core's writeMigration produces the main
 * stream and two channels over three passes (pages dirtied, re-sent, turning
 * zero and back), core's assembleMigration rebuilds RAM from them through a
 * registry the package's register() filled.
 */
import {
  CodecRegistry,
  MemorySink,
  PAGE_SIZE,
  assembleMigration,
  fillMemory,
  fillPage,
  isZeroPage,
  writeMigration,
  type AnyMultiFDMethods,
  type PageRef,
  type RAMBlock,
} from '@multifd/core';
import { concat, pageMismatch, rngFor } from './harness.js';
import type { ResolvedOptions, TestApi } from './types.js';

async function* chunks(list: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of list) yield c;
}

function pagesOf(memory: Uint8Array): Uint8Array[] {
  return Array.from({ length: memory.length / PAGE_SIZE }, (_, i) => memory.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
}

export function migrationTests(methods: AnyMultiFDMethods, { describe, it, expect }: TestApi, opts: ResolvedOptions): void {
  describe('whole migration', () => {
    it('rebuilds RAM from writeMigration output with assembleMigration: 2 channels, 3 passes, pages re-sent and turning zero', async () => {
      expect.hasAssertions();
      const rng = rngFor(opts.seed, 'migration');
      const ram: RAMBlock = { name: 'pc.ram', usedLength: 256 * PAGE_SIZE, memory: new Uint8Array(256 * PAGE_SIZE) };
      const bios: RAMBlock = { name: 'pc.bios', usedLength: 16 * PAGE_SIZE, memory: new Uint8Array(16 * PAGE_SIZE) };
      fillMemory(ram.memory, `${opts.seed}/ram`);
      fillMemory(bios.memory, `${opts.seed}/bios`, { code: 3, zero: 1 });
      const ramPages = pagesOf(ram.memory);
      let turnedZero = 0;
      let turnedNonZero = 0;

      /** A later pass: dirty `count` pages of pc.ram when the pass starts, then send them. */
      function* dirty(count: number): Generator<PageRef> {
        const picked = new Set<number>();
        while (picked.size < count) picked.add(rng.below(ramPages.length));
        for (const [i, p] of [...picked].sort((a, b) => a - b).entries()) {
          const page = ramPages[p]!;
          const wasZero = isZeroPage(page);
          fillPage(page, i % 3 === 0 ? 'zero' : i % 3 === 1 ? 'random' : 'text', rng);
          if (!wasZero && isZeroPage(page)) turnedZero++;
          if (wasZero && !isZeroPage(page)) turnedNonZero++;
        }
        for (const p of [...picked].sort((a, b) => a - b)) yield { block: ram.name, offset: p * PAGE_SIZE };
      }
      function* everything(): Generator<PageRef> {
        for (const b of [ram, bios]) for (let off = 0; off < b.usedLength; off += PAGE_SIZE) yield { block: b.name, offset: off };
      }

      const main: Uint8Array[] = [];
      const channels: Uint8Array[][] = [[], []];
      await writeMigration({
        blocks: [ram, bios],
        codec: methods,
        channels: 2,
        passes: [everything(), dirty(60), dirty(40)],
        out: {
          main: (bytes) => void main.push(bytes.slice()),
          channel: (id, parts) => void channels[id]!.push(concat(parts)),
        },
      });

      const registry = new CodecRegistry();
      opts.register(registry);
      const sink = new MemorySink({ shared: false });
      const report = await assembleMigration({
        main: { label: 'main', source: chunks(main) },
        channels: channels.map((list, i) => ({ label: `ch${i}`, source: chunks(list) })),
        registry,
        method: methods.name,
        sink,
        channelCount: 2,
      });

      expect(turnedZero).toBeGreaterThan(0);
      expect(turnedNonZero).toBeGreaterThan(0);
      expect(report.method).toEqual({ name: methods.name, value: methods.value });
      expect(report.epochs).toBe(4);
      expect(report.channels.map((c) => c.syncs)).toEqual([4, 4]);
      expect(pageMismatch(ramPages, pagesOf(sink.block(ram.name)!))).toBeUndefined();
      expect(pageMismatch(pagesOf(bios.memory), pagesOf(sink.block(bios.name)!))).toBeUndefined();
    });
  });
}
