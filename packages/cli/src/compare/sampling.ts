/**
 * `compare --sample SIZE|PERCENT`: for inputs too large to run every row on,
 * the rows run on a reproducible random sample of the input's regions
 * (4 MiB each, so runs of pages and of zero pages stay as they are in the
 * input), chosen with a seeded generator, and each row's wire bytes are
 * projected to the whole input with an error estimate.
 *
 * The input is scanned once first: regions that are all zero cost exactly
 * their zero-page records, so only regions with data are sampled (content
 * that sits in a few regions of a large, mostly empty guest would otherwise
 * be missed). The projection scales the sample's wire bytes by the bytes of
 * the regions with data over the sample's, and adds the zero regions'
 * records. Its error is estimated from how much the sampled regions differ:
 * each one's wire cost is measured on its own with the row's codec (a fresh
 * stream per region), and the standard error of a total estimated from n of
 * N regions drawn without replacement is N * sqrt((1 - n/N) * s^2 / n), s^2
 * the variance of the regions' costs. MB/s are rates of input and need no
 * projection; projected transfer times follow from the projected bytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isZeroRange, PACKET_HEADER_SIZE, PAGE_SIZE, PAGES_PER_PACKET, Prng, splitZeroPages, wireProfile, type AnyMultiFDMethods } from '@multifd/core';
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
  /** Regions of the input that hold data (the ones sampled from). */
  of: number;
  inputBytes: number;
  /** Bytes of the regions that hold data. */
  dataBytes: number;
  /** Pages of the regions that are all zero (not sampled: their cost is known). */
  zeroRegionPages: number;
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

/** Whether each region of the input holds data: one read of the whole input (`onProgress` with the bytes read). */
export function scanRegions(blocks: readonly SenderBlock[], onProgress?: (bytes: number) => void): { region: Region; data: boolean }[] {
  const buf = new Uint8Array(SAMPLE_REGION);
  let done = 0;
  return regionsOf(blocks).map((region) => {
    const part = buf.subarray(0, region.length);
    readRegion(blocks.find((b) => b.name === region.block)!, region, part);
    done += region.length;
    onProgress?.(done);
    return { region, data: !isZeroRange(part, 0, part.length) };
  });
}

/** A seeded choice of regions with data worth about `bytes` (all of them when that is as much). */
export function planSample(blocks: readonly SenderBlock[], scanned: readonly { region: Region; data: boolean }[], bytes: number, seed = SAMPLE_SEED_DEFAULT): SamplePlan {
  const data = scanned.filter((r) => r.data).map((r) => r.region);
  const zeroRegionPages = scanned.filter((r) => !r.data).reduce((n, r) => n + r.region.length / PAGE_SIZE, 0);
  // A partial Fisher-Yates shuffle, drawn until the regions add up to `bytes`
  // (the last region of a block is shorter): a uniform choice without replacement.
  const rng = new Prng(seed);
  const pool = data.slice();
  let n = 0;
  for (let taken = 0; n < pool.length && (n === 0 || taken < bytes); n++) {
    const j = n + rng.below(pool.length - n);
    [pool[n], pool[j]] = [pool[j]!, pool[n]!];
    taken += pool[n]!.length;
  }
  const order = new Map(blocks.map((b, i) => [b.name, i]));
  const regions = pool.slice(0, n).sort((a, b) => order.get(a.block)! - order.get(b.block)! || a.offset - b.offset);
  return {
    seed,
    regions,
    of: data.length,
    inputBytes: blocks.reduce((s, b) => s + b.usedLength, 0),
    dataBytes: data.reduce((s, r) => s + r.length, 0),
    zeroRegionPages,
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

/**
 * The whole input's wire bytes from the sample's (`zeroPageCost` bytes for
 * each page of the all-zero regions), and one standard error of that,
 * relative.
 */
export function project(sampleWireBytes: number, plan: SamplePlan, costs: readonly number[], zeroPageCost: number): { wireBytes: number; relativeError: number } {
  const n = costs.length;
  const N = plan.of;
  const wireBytes = Math.round((sampleWireBytes * plan.dataBytes) / Math.max(1, plan.sampleBytes) + plan.zeroRegionPages * zeroPageCost);
  if (n === 0) return { wireBytes, relativeError: 0 };
  const mean = costs.reduce((s, c) => s + c, 0) / n;
  const variance = n > 1 ? costs.reduce((s, c) => s + (c - mean) ** 2, 0) / (n - 1) : 0;
  const se = N * Math.sqrt(Math.max(0, 1 - n / N) * (variance / n));
  return { wireBytes, relativeError: wireBytes > 0 ? se / wireBytes : 0 };
}

/** What one zero page costs on the wire: a main-stream record (QEMU 7.2: 8-byte address and flags, a fill byte), or an 8-byte offset in a packet with its share of the 1344-byte header (QEMU 10). */
export function zeroPageCost(profile: string): number {
  return wireProfile(profile).zeroPages === 'packet' ? 8 + PACKET_HEADER_SIZE / PAGES_PER_PACKET : 9;
}
