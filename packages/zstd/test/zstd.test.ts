import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE, Prng } from '@multifd/core';
import { codecConformance, makePages, outcomesInPlaceOf, qemuCaptureConformance, sendChannel } from '@multifd/test-suite';
import { register, zstd } from '@multifd/zstd';

codecConformance(zstd, { describe, it, expect }, { register });

const fixtures = new URL('../../../fixtures/', import.meta.url);
for (const capture of ['qemu-7.2/zstd-2ch/', 'qemu-7.2/running-zstd-2ch/', 'qemu-10.0/zstd-2ch/']) {
  qemuCaptureConformance(zstd, { describe, it, expect }, { capture: new URL(capture, fixtures), blob: new URL('qemu-7.2/blobs/dev-1.bin', fixtures) });
}

const FRAME_MAGIC = '28b52ffd';

describe('zstd on the wire (QEMU 7.2 multifd/zstd.c)', () => {
  it("puts the frame magic 28 b5 2f fd only at the start of the channel's first payload", async () => {
    const rng = new Prng('zstd/frame');
    const plan = Array.from({ length: 20 }, () => makePages(rng, 1 + rng.below(128)));
    const [first, ...later] = (await sendChannel(zstd, 0, plan)).sent.map((p) => Buffer.from(p.payload));
    expect(first!.subarray(0, 4).toString('hex')).toBe(FRAME_MAGIC);
    expect(first!.indexOf(Buffer.from(FRAME_MAGIC, 'hex'), 1)).toBe(-1);
    expect(later.map((p) => p.indexOf(Buffer.from(FRAME_MAGIC, 'hex')))).toEqual(later.map(() => -1));
  });
});

describe('zstd refuses what would only break the next packet', () => {
  it("refuses a payload that ends the channel's frame (its block marked last) or leaves bytes of a block header", async () => {
    const rng = new Prng('zstd/frame-end');
    const { sent } = await sendChannel(zstd, 0, [makePages(rng, 6), makePages(rng, 6, ['text'])]);
    const payload = sent[1]!.payload;
    const lastBlock = payload.slice();
    lastBlock[0]! |= 1; // Last_Block bit of the payload's first block header
    const variants: Record<string, Uint8Array> = {
      'first block marked last': lastBlock,
      'one byte of a block header after it': Buffer.concat([payload, Uint8Array.of(0)]),
      'two bytes of a block header after it': Buffer.concat([payload, Uint8Array.of(0, 0)]),
    };
    const outcomes = await outcomesInPlaceOf(zstd, sent, 1, variants);
    expect(outcomes).toEqual(Object.fromEntries(Object.keys(variants).map((name) => [name, 'ERR_MULTIFD_CORRUPT_PAYLOAD'])));
  });
});

describe('zstd compresses runs of adjacent pages in one call', () => {
  // QEMU 7.2 calls ZSTD_compressStream2 once per page; we call it once per
  // run of adjacent pages. The bytes must be the same.
  const binding = createRequire(import.meta.url)('zstd-napi/binding.js') as typeof import('zstd-napi/binding.js');

  function pageByPage(packets: readonly Uint8Array[][]): Buffer[] {
    const cctx = new binding.CCtx();
    cctx.setParameter(binding.CParameter.compressionLevel, 1);
    return packets.map((pages) => {
      const out = Buffer.alloc(pages.length * PAGE_SIZE * 2 + 1024);
      let pos = 0;
      pages.forEach((page, i) => {
        const last = i === pages.length - 1;
        let src = page;
        for (;;) {
          const [remaining, produced, consumed] = cctx.compressStream2(out.subarray(pos), src, last ? binding.EndDirective.flush : binding.EndDirective.continue);
          pos += produced;
          src = src.subarray(consumed);
          if (src.length === 0 && (!last || remaining === 0)) break;
        }
      });
      return out.subarray(0, pos);
    });
  }

  it('gives the bytes that page-by-page calls give, for packets with runs and gaps', async () => {
    const rng = new Prng('zstd/runs');
    const pagesInMemory = 1024;
    const memory = new Uint8Array(pagesInMemory * PAGE_SIZE);
    makePages(rng, pagesInMemory).forEach((page, i) => memory.set(page, i * PAGE_SIZE));
    // Packets of up to 128 pages picked in order with random gaps: runs of every length, and single pages.
    const packets: Uint8Array[][] = [];
    let page = 0;
    while (page < pagesInMemory) {
      const pages: Uint8Array[] = [];
      const want = 1 + rng.below(128);
      while (pages.length < want && page < pagesInMemory) {
        pages.push(memory.subarray(page * PAGE_SIZE, (page + 1) * PAGE_SIZE));
        page += rng.below(3) === 0 ? 1 + rng.below(4) : 1;
      }
      packets.push(pages);
    }
    expect(packets.some((p) => p.length > 1)).toBe(true);
    const ours = (await sendChannel(zstd, 0, packets)).sent.map((p) => Buffer.from(p.payload).toString('base64'));
    expect(ours).toEqual(pageByPage(packets).map((b) => b.toString('base64')));
  });
});
