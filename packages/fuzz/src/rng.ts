/**
 * The fuzzer's randomness: core's deterministic Prng plus the helpers the
 * mutators need. Every input is generated from its own Rng seeded with
 * `${runSeed}:${target}:${index}`, so any input can be rebuilt from those
 * three values alone (`--repro`).
 */
import { Prng } from '@multifd/core';

/** The Rng of input `index` of `target` in the run seeded `runSeed`: the rule that makes `--repro` rebuild an input. */
export function inputRng(runSeed: string, target: string, index: number): Rng {
  return new Rng(`${runSeed}:${target}:${index}`);
}

export class Rng {
  readonly #p: Prng;

  constructor(seed: number | string) {
    this.#p = new Prng(seed);
  }

  u32(): number {
    return this.#p.u32();
  }

  /** Integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.#p.below(n);
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.#p.u32() < p * 0x1_0000_0000;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick() from an empty list');
    return items[this.below(items.length)]!;
  }

  /** Index chosen with probability proportional to its weight. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = (this.#p.u32() / 0x1_0000_0000) * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  fill(out: Uint8Array): void {
    this.#p.fill(out);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    this.#p.fill(out);
    return out;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

/** u32 values that break naive length arithmetic. */
export const INTERESTING_U32: readonly number[] = [
  0, 1, 2, 127, 128, 129, 255, 256, 4095, 4096, 4097, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
];

/** u8 values worth trying in place of any byte. */
export const INTERESTING_U8: readonly number[] = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff];
