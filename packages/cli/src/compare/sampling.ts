/**
 * `compare --sample SIZE|PERCENT`: for inputs too large to run every row on,
 * the rows run on a reproducible random sample of the input's regions
 * (4 MiB each, so runs of pages and of zero pages stay as they are in the
 * input), chosen with a seeded generator, and each row's wire bytes are
 * projected to the whole input with an error estimate.
 *
 * The projection scales the sample's wire bytes by input / sample bytes. Its
 * error is estimated from how much the regions differ: each sampled region's
 * wire cost is measured on its own with the row's codec (a fresh stream per
 * region), and the standard error of a total estimated from n of N regions
 * drawn without replacement is N * sqrt((1 - n/N) * s^2 / n), s^2 the
 * variance of the regions' costs. MB/s are rates of input and need no
 * projection; projected transfer times follow from the projected bytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PAGES_PER_PACKET, PAGE_SIZE, PACKET_HEADER_SIZE, Prng, isZeroRange, splitZeroPages, type AnyMultiFDMethods } from '@multifd/core';
import type { FileBlockInput, SenderBlock } from '@multifd/transport';

export const SAMPLE_REGION = 4 * 1024 ** 2;
export const SAMPLE_SEED_DEFAULT = 'multifd-compare-sample-regions';

export interface Region {
  block: string;
  offset: number;
  length: number;
}

export interface SamplePlan {
  seed: string;
  regions: Region[];
  /** Regions in the whole input. */
  of: number;
  inputBytes: number;
  sampleBytes: number;
}

/** `--sample` as bytes: SIZE ("1G") or PERCENT ("5%") of `inputBytes`; undefined when it is neither. */
export function sampleBytesOf(text: string, inputBytes: number, parseSize: (t: string) => number | undefined): number | undefined {
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(text.trim());
  if (pct) {
    const p = Number(pct[1]);
    return p > 0 && p <= 100 ? Math.ceil((inputBytes * p) / 100) : undefined;
  }
  return parseSize(text);
}

/** Every region of the blocks, in order. */
function regionsOf(blocks: readonly SenderBlock[]): Region[] {
  const out: Region[] = [];
  for (const b of blocks) {
    for (let off = 0; off < b.usedLength; off += SAMPLE_REGION) out.push({ block: b.name, offset: off, length: Math.min(SAMPLE_REGION, b.usedLength - off) });
  }
  return out;
}

/** A seeded choice of regions worth about `bytes` (all of them when that is the whole input). */
export function planSample(blocks: readonly SenderBlock[], bytes: number, seed = SAMPLE_SEED_DEFAULT): SamplePlan {
  const all = regionsOf(blocks);
  const n = Math.min(all.length, Math.max(1, Math.ceil(bytes / SAMPLE_REGION)));
  // A partial Fisher-Yates shuffle: the first n are a uniform choice without replacement.
  const rng = new Prng(seed);
  const pool = all.slice();
  for (let i = 0; i < n; i++) {
    const j = i + rng.below(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const order = new Map(blocks.map((b, i) => [b.name, i]));
  const regions = pool.slice(0, n).sort((a, b) => order.get(a.block)! - order.get(b.block)! || a.offset - b.offset);
  return {
    seed,
    regions,
    of: all.length,
    inputBytes: blocks.reduce((s, b) => s + b.usedLength, 0),
    sampleBytes: regions.reduce((s, r) => s + r.length, 0),
  };
}

/** The sampled regions of each block, back to back, in a file of `dir` per block (all-zero regions left as holes). */
export function writeSampleBlocks(blocks: readonly SenderBlock[], plan: SamplePlan, dir: string): FileBlockInput[] {
  const out: FileBlockInput[] = [];
  const buf = new Uint8Array(SAMPLE_REGION);
  blocks.forEach((b, i) => {
    const regions = plan.regions.filter((r) => r.block === b.name);
    if (regions.length === 0) return;
    const file = path.join(dir, `sample-${i}.bin`);
    const fd = fs.openSync(file, 'w');
    try {
      const size = regions.reduce((s, r) => s + r.length, 0);
      fs.ftruncateSync(fd, size);
      let at = 0;
      for (const r of regions) {
        const part = buf.subarray(0, r.length);
        readRegion(b, r, part);
        if (!isZeroRange(part, 0, part.length)) for (let done = 0; done < part.length; ) done += fs.writeSync(fd, part, done, part.length - done, at + done);
        at += r.length;
      }
      out.push({ name: b.name, file, usedLength: size });
    } finally {
      fs.closeSync(fd);
    }
  });
  return out;
}

function readRegion(b: SenderBlock, r: Region, into: Uint8Array): void {
  if (b.memory) {
    into.set(b.memory.subarray(r.offset, r.offset + r.length));
    return;
  }
  const fd = fs.openSync(b.file!, 'r');
  try {
    for (let done = 0; done < into.length; ) {
      const n = fs.readSync(fd, into, done, into.length - done, r.offset + done);
      if (n === 0) throw new Error(`${b.file} ends inside a sampled region`);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Each sampled region's wire cost with `codec` at `level`, on its own: its
 * normal pages in packets of up to 128 (payload + header) and its zero pages
 * at `zeroPageCost` bytes each.
 */
export async function regionCosts(blocks: readonly SenderBlock[], plan: SamplePlan, codec: AnyMultiFDMethods, level: number | undefined, zeroPageCost: number, options: Record<string, unknown>): Promise<number[]> {
  const byName = new Map(blocks.map((b) => [b.name, b]));
  const buf = new Uint8Array(SAMPLE_REGION);
  const costs: number[] = [];
  for (const r of plan.regions) {
    const memory = buf.subarray(0, r.length);
    readRegion(byName.get(r.block)!, r, memory);
    const normal: number[] = [];
    let zeros = 0;
    splitZeroPages(memory, { start: 0, count: r.length / PAGE_SIZE }, () => zeros++, (off) => normal.push(off));
    const state = await codec.sendSetup({ id: 0, ...(level !== undefined ? { level } : {}), options });
    let bytes = zeros * zeroPageCost;
    try {
      for (let i = 0; i < normal.length; i += PAGES_PER_PACKET) {
        const pages = normal.slice(i, i + PAGES_PER_PACKET).map((off) => memory.subarray(off, off + PAGE_SIZE));
        bytes += PACKET_HEADER_SIZE + (await codec.sendPrepare(state, { pages })).size;
      }
    } finally {
      await codec.sendCleanup(state);
    }
    costs.push(bytes);
  }
  return costs;
}

/** The whole input's wire bytes from the sample's, and one standard error of that, relative. */
export function project(sampleWireBytes: number, plan: SamplePlan, costs: readonly number[]): { wireBytes: number; relativeError: number } {
  const n = costs.length;
  const N = plan.of;
  const mean = costs.reduce((s, c) => s + c, 0) / n;
  const variance = n > 1 ? costs.reduce((s, c) => s + (c - mean) ** 2, 0) / (n - 1) : 0;
  const se = N * Math.sqrt(Math.max(0, 1 - n / N) * (variance / n));
  return { wireBytes: Math.round((sampleWireBytes * plan.inputBytes) / plan.sampleBytes), relativeError: mean > 0 ? se / (N * mean) : 0 };
}
