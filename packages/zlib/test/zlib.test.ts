import { describe, expect, it } from 'vitest';
import { Prng, type ChannelContext } from '@multifd/core';
import { PAYLOAD_ERROR_CODES, codecConformance, makePages, outcomesInPlaceOf, qemuCaptureConformance, sendChannel } from '@multifd/test-suite';
import { ZLIB_BACKENDS, ZLIB_LEVELS, register, zlib, type ZlibBackend } from '@multifd/zlib';

codecConformance(zlib, { describe, it, expect }, { register });
// The node:zlib backend makes and reads the same stream: it must pass the same suite.
codecConformance(zlib, { describe, it, expect }, { register, codecOptions: { backend: 'node' } });

/** zlib receiving with `backend` (the codec option every recvSetup gets). */
const receivingWith = (backend: ZlibBackend) => ({ ...zlib, recvSetup: (c: ChannelContext) => zlib.recvSetup({ ...c, options: { backend } }) });

const fixtures = new URL('../../../fixtures/', import.meta.url);
for (const backend of ZLIB_BACKENDS) {
  describe(`backend ${backend}`, () => {
    for (const capture of ['qemu-7.2/zlib-2ch/', 'qemu-10.0/zlib-2ch/']) {
      qemuCaptureConformance(receivingWith(backend), { describe, it, expect }, { capture: new URL(capture, fixtures), blob: new URL('qemu-7.2/blobs/dev-1.bin', fixtures) });
    }
  });
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** A zlib stream header (RFC 1950): deflate, window <= 32 KiB, check bits right. */
const isZlibHeader = (b: Uint8Array) => (b[0]! & 0x0f) === 8 && b[0]! >> 4 <= 7 && ((b[0]! << 8) | b[1]!) % 31 === 0;

/** The payloads of one channel of 20 packets of 1..128 mixed pages. */
async function payloads(level?: number): Promise<Uint8Array[]> {
  const rng = new Prng(`zlib/payloads/${level}`);
  const plan = Array.from({ length: 20 }, () => makePages(rng, 1 + rng.below(128)));
  return (await sendChannel(zlib, 0, plan, level)).sent.map((p) => p.payload);
}

describe('zlib on the wire (QEMU 7.2 multifd/zlib.c)', () => {
  it('ends every payload with the sync-flush marker 00 00 ff ff', async () => {
    const all = await payloads();
    expect(all.map((p) => hex(p.subarray(-4)))).toEqual(all.map(() => '0000ffff'));
  });

  it("starts the channel's first payload with 78 01 at level 1; later payloads start no zlib header", async () => {
    const [first, ...later] = await payloads(1);
    expect(hex(first!.subarray(0, 2))).toBe('7801');
    expect(later.filter(isZlibHeader).map((p) => hex(p.subarray(0, 2)))).toEqual([]);
  });

  it('writes the zlib header of each level into the first payload only', async () => {
    const want = (level: number) => (level < 2 ? '7801' : level < 6 ? '785e' : level === 6 ? '789c' : '78da');
    const got: Record<number, string> = {};
    for (let level = ZLIB_LEVELS.min; level <= ZLIB_LEVELS.max; level++) {
      const rng = new Prng(`zlib/header/${level}`);
      const { sent } = await sendChannel(zlib, 0, [makePages(rng, 2), makePages(rng, 2)], level);
      got[level] = `${hex(sent[0]!.payload.subarray(0, 2))} ${isZlibHeader(sent[1]!.payload)}`;
    }
    expect(got).toEqual(Object.fromEntries(Object.keys(got).map((l) => [l, `${want(Number(l))} false`])));
  });
});

describe('zlib refuses what would only break the next packet', () => {
  for (const backend of ZLIB_BACKENDS) {
    it(`refuses a payload whose sync-flush marker (last four bytes) is damaged, cut or followed by more bytes (${backend})`, async () => {
      const rng = new Prng('zlib/marker');
      const { sent } = await sendChannel(zlib, 0, [makePages(rng, 6), makePages(rng, 6, ['text'])]);
      const payload = sent[1]!.payload;
      const variants: Record<string, Uint8Array> = {};
      for (let back = 1; back <= 4; back++) {
        for (const mask of [0xff, 0x01, 0x80]) {
          const bad = payload.slice();
          bad[bad.length - back]! ^= mask;
          variants[`byte -${back} ^ ${mask}`] = bad;
        }
        variants[`cut by ${back}`] = payload.subarray(0, payload.length - back);
        variants[`${back} bytes of the marker again`] = Buffer.concat([payload, payload.subarray(payload.length - 4, payload.length - 4 + back)]);
      }
      variants['an empty fixed-Huffman block after it'] = Buffer.concat([payload, Uint8Array.of(0x02, 0x00)]);
      const outcomes = await outcomesInPlaceOf(receivingWith(backend), sent, 1, variants);
      expect(Object.entries(outcomes).filter(([, o]) => !PAYLOAD_ERROR_CODES.includes(o as never))).toEqual([]);
    });
  }
});
