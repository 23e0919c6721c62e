/**
 * Builds (once per process) the seeds each target draws from, and checks
 * every seed decodes cleanly first: a seed that fails unmutated would make
 * every oracle meaningless.
 */
import {
  CodecRegistry,
  MultifdError,
  PAGE_SIZE,
  assembleMigration,
  type AnyMultiFDMethods,
} from '@multifd/core';
import { nocomp } from '@multifd/nocomp';
import { zlib } from '@multifd/zlib';
import { zstdCodec } from '@multifd/zstd';
import { fromChunks } from './case.js';
import { GuardedSink } from './guarded-sink.js';
import type { CodecTraits } from './mutate.js';
import { Rng } from './rng.js';
import {
  PROFILES,
  captureSeed,
  listCaptures,
  payloadVariant,
  reduceSeed,
  streamStartBomb,
  syntheticBlocks,
  syntheticSeed,
  type CaptureFiles,
  type MigrationSeed,
} from './seeds.js';

export const CODEC_TARGETS = ['nocomp', 'zlib-pako', 'zlib-node', 'zstd'] as const;
export const OTHER_TARGETS = ['main', 'packet', 'initial'] as const;
export const ALL_TARGETS = [...CODEC_TARGETS, ...OTHER_TARGETS] as const;
export type CodecTargetName = (typeof CODEC_TARGETS)[number];
export type TargetName = (typeof ALL_TARGETS)[number];

export function isTargetName(name: string): name is TargetName {
  return (ALL_TARGETS as readonly string[]).includes(name);
}

/** Limits the fuzzer runs the decoders with. */
export const LIMITS = {
  /** assembleMigration's maxBlockBytes (blocks without a main stream) and the sink's capacity for them. */
  unknownBlockBytes: 128 * 1024 * 1024,
  /** The main stream parser's maxRamBytes. */
  maxRamBytes: 1024 * 1024 * 1024,
  /** The sink's largest block. */
  maxBlockBytes: 256 * 1024 * 1024,
};

export interface CodecSetup {
  name: CodecTargetName;
  /** The codec as registered for the target (zlib pinned to one backend). */
  codec: AnyMultiFDMethods;
  options: Readonly<Record<string, unknown>> | undefined;
  registry: CodecRegistry;
  traits: CodecTraits;
}

/** The codec object a target decodes with: zlib's recvSetup always gets the target's backend. */
export async function codecSetup(name: CodecTargetName): Promise<CodecSetup> {
  const base = name === 'nocomp' ? nocomp : name === 'zstd' ? zstdCodec : zlib;
  const options = name === 'zlib-pako' ? { backend: 'pako' } : name === 'zlib-node' ? { backend: 'node' } : undefined;
  const codec: AnyMultiFDMethods = options
    ? {
        ...base,
        sendSetup: (ch) => base.sendSetup({ ...ch, options: { ...options, ...ch.options } }),
        recvSetup: (ch) => base.recvSetup({ ...ch, options: { ...options, ...ch.options } }),
      }
    : base;
  const registry = new CodecRegistry();
  for (const c of [nocomp, zlib, zstdCodec]) registry.register(c.value === codec.value ? codec : c);
  const compressed = codec.value !== 0;
  const traits: CodecTraits = {
    value: codec.value,
    compressed,
    ...(compressed ? { startBomb: await streamStartBomb(codec) } : {}),
    // zlib: a non-final empty stored block decodes to nothing and leaves inflate where it was.
    ...(base === zlib ? { emptyFlush: Uint8Array.of(0x00, 0x00, 0x00, 0xff, 0xff), harmlessCut: 5 } : {}),
  };
  return { name, codec, options, registry, traits };
}

let capturesCache: CaptureFiles[] | undefined;
let capturesDir: string | undefined;

export function captures(dir?: string): CaptureFiles[] {
  if (!capturesCache || dir !== capturesDir) {
    capturesCache = listCaptures(dir);
    capturesDir = dir;
  }
  return capturesCache;
}

/** The project's codecs by method value. */
export const BY_VALUE: ReadonlyMap<number, AnyMultiFDMethods> = new Map<number, AnyMultiFDMethods>([
  [0, nocomp],
  [1, zlib],
  [2, zstdCodec],
]);

export interface SeedSet {
  /** Whole captures: slow, drawn rarely. */
  full: MigrationSeed[];
  /** Captures reduced to the first data packet of one channel. */
  reduced: MigrationSeed[];
  /** Captures reduced to the first data packet of every channel. */
  reduced2: MigrationSeed[];
  synthetic: MigrationSeed[];
  /** Bomb and short variants (must fail unmutated). */
  variants: MigrationSeed[];
}

/** Every seed of one codec: its captures (whole and reduced), synthetic migrations and payload variants. */
export async function codecSeeds(setup: CodecSetup, fixtures?: string): Promise<SeedSet> {
  const set: SeedSet = { full: [], reduced: [], reduced2: [], synthetic: [], variants: [] };
  for (const cap of captures(fixtures)) {
    const seed = captureSeed(cap, BY_VALUE);
    if (seed.method !== setup.codec.value) continue;
    set.full.push(seed);
    // One channel keeps its first data packet, the others none (one 512 KiB packet to decode, not one per channel).
    for (let k = 0; k < seed.channels.length; k++) {
      set.reduced.push(reduceSeed(seed, setup.codec, { dataPackets: (i) => (i === k ? 1 : 0), zeroOnlyPackets: 2, zeroRecords: 8, tail: 64 }, ` (reduced: data packet 0 of channel ${seed.channels[k]!.id})`));
    }
    set.reduced2.push(reduceSeed(seed, setup.codec, { dataPackets: 1, zeroOnlyPackets: 4, zeroRecords: 32, tail: 256 }, ' (reduced: data packet 0 of every channel)'));
  }
  const rng = new Rng(`seeds/${setup.name}`);
  for (const profile of PROFILES) {
    for (const channels of [1, 2, 3]) {
      const uuid = channels === 2 ? rng.bytes(16) : undefined;
      const label = `${setup.name}-${profile.name}-${channels}ch${uuid ? '-uuid' : ''}`;
      const ramPages = 8 + 4 * channels;
      const seed = await syntheticSeed({ codec: setup.codec, profile, channels, ramPages, label, ...(uuid ? { uuid } : {}) });
      set.synthetic.push(seed);
      if (setup.traits.compressed) {
        const blocks = syntheticBlocks(label, ramPages);
        for (const kind of ['bomb', 'short'] as const) {
          for (let ch = 0; ch < channels; ch++) {
            const v = await payloadVariant(seed, setup.codec, blocks, kind, ch, ch % 2);
            if (v) set.variants.push(v);
          }
        }
      }
    }
  }
  return set;
}

/** Run a seed unmutated; it must decode and report exactly its distinct pages. */
export async function checkSeed(seed: MigrationSeed, setup: CodecSetup, sink: GuardedSink): Promise<void> {
  sink.reset();
  let failure: unknown;
  let pages = -1;
  try {
    const report = await assembleMigration({
      main: { label: 'main', source: fromChunks([seed.main]) },
      channels: seed.channels.map((ch, i) => ({ label: `ch${i}`, source: fromChunks(channelBytes(ch)) })),
      registry: setup.registry,
      sink,
      uuid: seed.uuid,
      channelCount: seed.channels.length,
      mainStream: { maxRamBytes: LIMITS.maxRamBytes },
    });
    pages = report.ramblocks.reduce((n, b) => n + b.pages, 0);
  } catch (e) {
    failure = e;
  }
  const violations = sink.check();
  if (seed.mustFail) {
    if (!failure) throw new Error(`seed ${seed.name} should fail (${seed.mustFail}) but decodes`);
    return;
  }
  if (failure) throw new Error(`seed ${seed.name} does not decode: ${MultifdError.is(failure) ? failure.code : ''} ${String(failure)}`);
  if (violations.length > 0) throw new Error(`seed ${seed.name}: ${violations.join('; ')}`);
  if (pages !== seed.distinctPages) throw new Error(`seed ${seed.name} reports ${pages} pages, expected ${seed.distinctPages}`);
}

function channelBytes(ch: MigrationSeed['channels'][number]): Uint8Array[] {
  const parts: Uint8Array[] = [ch.init];
  for (const p of ch.packets) parts.push(p.header, p.payload);
  return parts;
}

/** A channel's pages, decoded once from the unmutated seed: the content oracle of the recv mode. */
export async function decodeChannelPages(setup: CodecSetup, packets: readonly { payload: Uint8Array; normal: number; flags: number; nextPacketSize: number }[]): Promise<Uint8Array[]> {
  const state = await setup.codec.recvSetup({ id: 0 });
  try {
    const out: Uint8Array[] = [];
    for (const p of packets) {
      const mem = new Uint8Array(p.normal * PAGE_SIZE);
      const pages = Array.from({ length: p.normal }, (_, i) => mem.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
      await setup.codec.recvPages(state, { flags: p.flags, normalPages: p.normal, nextPacketSize: p.nextPacketSize, payload: p.payload, pages });
      out.push(mem);
    }
    return out;
  } finally {
    await setup.codec.recvCleanup(state);
  }
}
