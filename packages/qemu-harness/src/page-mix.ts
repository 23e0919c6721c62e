/**
 * Deterministic guest-memory content: pages of mixed kinds drawn per page from
 * a seed, like the benchmark blobs of qemu-peer.md section 4. The bytes come
 * from an AES-256-CTR keystream keyed by sha256(seed), so 512 MiB take about
 * a second and the same seed always gives the same blob.
 */
import { createCipheriv, createHash, type Cipher } from 'node:crypto';

const PAGE_SIZE = 4096;

export type PageKind = 'random' | 'text' | 'zero' | 'pattern' | 'sparse' | 'halfZero';

/** Relative weights of page kinds. */
export type PageMix = Partial<Record<PageKind, number>>;

/** The mix of the benchmark blobs: 30% random, 25% text, 20% zero, 14% pattern, 7% sparse, 5% half-zero. */
export const BENCH_MIX: PageMix = { random: 30, text: 25, zero: 20, pattern: 14, sparse: 7, halfZero: 5 };

const WORDS = 'the of and to in is that for it as was with kernel page memory migration channel packet device buffer socket guest host'.split(' ');

/** A seeded byte stream, read in pieces. */
class KeyStream {
  private readonly cipher: Cipher;
  private buffer = Buffer.alloc(0);
  private at = 0;

  constructor(seed: string) {
    this.cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  }

  bytes(n: number): Buffer {
    if (this.at + n > this.buffer.length) {
      const fresh = this.cipher.update(Buffer.alloc(Math.max(n, 1 << 20)));
      this.buffer = Buffer.concat([this.buffer.subarray(this.at), fresh]);
      this.at = 0;
    }
    this.at += n;
    return this.buffer.subarray(this.at - n, this.at);
  }

  /** A number in [0, n). */
  below(n: number): number {
    return this.bytes(4).readUInt32LE(0) % n;
  }
}

function fillPage(page: Buffer, kind: PageKind, ks: KeyStream): void {
  switch (kind) {
    case 'zero':
      return;
    case 'random':
      ks.bytes(PAGE_SIZE).copy(page);
      return;
    case 'halfZero':
      ks.bytes(PAGE_SIZE / 2).copy(page);
      return;
    case 'text': {
      let at = 0;
      while (at < PAGE_SIZE) {
        at += page.write(WORDS[ks.below(WORDS.length)]!, at, 'latin1');
        if (at < PAGE_SIZE) page[at++] = ks.below(12) === 0 ? 0x0a : 0x20;
      }
      return;
    }
    case 'pattern': {
      const unit = ks.bytes(8 << ks.below(6));
      for (let at = 0; at < PAGE_SIZE; at += unit.length) unit.copy(page, at);
      return;
    }
    case 'sparse': {
      const n = 1 + ks.below(16);
      for (let i = 0; i < n; i++) page[ks.below(PAGE_SIZE)] = 1 + ks.below(255);
      return;
    }
  }
}

/**
 * `size` bytes (a multiple of 4096) of pages whose kinds are drawn from `mix`,
 * with how many pages of each kind were made.
 */
export function mixedPages(size: number, seed: string, mix: PageMix = BENCH_MIX): { bytes: Buffer; counts: Record<PageKind, number> } {
  if (size % PAGE_SIZE !== 0) throw new RangeError(`[qemu-harness] size ${size} is not a multiple of ${PAGE_SIZE}`);
  const kinds = (Object.entries(mix) as Array<[PageKind, number]>).filter(([, weight]) => weight > 0);
  const total = kinds.reduce((sum, [, weight]) => sum + weight, 0);
  const counts = { random: 0, text: 0, zero: 0, pattern: 0, sparse: 0, halfZero: 0 };
  const bytes = Buffer.alloc(size);
  const ks = new KeyStream(seed);
  for (let at = 0; at < size; at += PAGE_SIZE) {
    let pick = ks.below(total);
    const [kind] = kinds.find(([, weight]) => (pick -= weight) < 0)!;
    fillPage(bytes.subarray(at, at + PAGE_SIZE), kind, ks);
    counts[kind]++;
  }
  return { bytes, counts };
}
