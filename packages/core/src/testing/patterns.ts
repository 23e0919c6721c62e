/**
 * Page contents of the kinds real guest memory holds, made deterministically
 * from a seed: for conformance tests (every kind a codec must survive), for
 * benchmarks and for `compare`'s bundled sample.
 */
import { PAGE_SIZE } from '../wire/constants.js';
import { Prng } from './prng.js';

export const PAGE_KINDS = ['zero', 'random', 'text', 'code', 'sparse', 'last-byte', 'repeated', 'half-zero'] as const;
export type PageKind = (typeof PAGE_KINDS)[number];

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were ' +
  'kernel page memory migration channel packet device driver buffer socket thread error return value struct static void ' +
  'int unsigned long const char size offset block state guest host qemu virtio network disk file system process'
).split(' ');

const OPCODES = [0x48, 0x89, 0x8b, 0xe8, 0xc3, 0x55, 0x5d, 0x83, 0xc4, 0xec, 0x0f, 0x1f, 0x44, 0x00, 0x74, 0x75, 0xeb, 0x31, 0xc0, 0xff];

/** Fill `page` (4096 bytes) with content of `kind`. */
export function fillPage(page: Uint8Array, kind: PageKind, rng: Prng): void {
  page.fill(0);
  switch (kind) {
    case 'zero':
      return;
    case 'random':
      rng.fill(page);
      return;
    case 'text': {
      let at = 0;
      while (at < page.length) {
        const word = WORDS[rng.below(WORDS.length)]!;
        for (let i = 0; i < word.length && at < page.length; i++) page[at++] = word.charCodeAt(i);
        if (at < page.length) page[at++] = rng.below(12) === 0 ? 0x0a : 0x20;
      }
      return;
    }
    case 'code': {
      // x86-ish instruction bytes: a small alphabet with immediates and zero padding.
      let at = 0;
      while (at < page.length) {
        const r = rng.below(10);
        if (r < 6) page[at++] = OPCODES[rng.below(OPCODES.length)]!;
        else if (r < 8) page[at++] = rng.below(256);
        else at += 1 + rng.below(4);
      }
      return;
    }
    case 'sparse': {
      const n = 1 + rng.below(16);
      for (let i = 0; i < n; i++) page[rng.below(PAGE_SIZE)] = 1 + rng.below(255);
      return;
    }
    case 'last-byte':
      page[PAGE_SIZE - 1] = 1 + rng.below(255);
      return;
    case 'repeated': {
      const period = 8 << rng.below(6);
      const unit = new Uint8Array(period);
      rng.fill(unit);
      for (let at = 0; at < page.length; at += period) page.set(unit.subarray(0, Math.min(period, page.length - at)), at);
      return;
    }
    case 'half-zero':
      rng.fill(page.subarray(0, PAGE_SIZE / 2));
      return;
  }
}

/** Relative weights of page kinds in a memory image. */
export type PageMix = Partial<Record<PageKind, number>>;

/** A mix close to an idle Linux guest: mostly zero, then text, code and data. */
export const GUEST_MIX: PageMix = { zero: 40, text: 15, code: 12, random: 12, sparse: 8, repeated: 7, 'half-zero': 5, 'last-byte': 1 };

/**
 * Fill `memory` (a multiple of 4096 bytes) page by page with kinds drawn from
 * `mix`, in runs (real memory clusters: a kind tends to repeat). Deterministic
 * for a given seed. Returns how many pages of each kind were made.
 */
export function fillMemory(memory: Uint8Array, seed: number | string, mix: PageMix = GUEST_MIX): Record<PageKind, number> {
  const rng = new Prng(seed);
  const kinds = PAGE_KINDS.filter((k) => (mix[k] ?? 0) > 0);
  const total = kinds.reduce((s, k) => s + mix[k]!, 0);
  const counts = Object.fromEntries(PAGE_KINDS.map((k) => [k, 0])) as Record<PageKind, number>;
  const pages = Math.floor(memory.length / PAGE_SIZE);
  let kind: PageKind = kinds[0] ?? 'zero';
  let run = 0;
  for (let p = 0; p < pages; p++) {
    if (run === 0) {
      let pick = rng.below(total);
      for (const k of kinds) {
        pick -= mix[k]!;
        if (pick < 0) {
          kind = k;
          break;
        }
      }
      run = 1 + rng.below(32);
    }
    run--;
    fillPage(memory.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), kind, rng);
    counts[kind]++;
  }
  return counts;
}
