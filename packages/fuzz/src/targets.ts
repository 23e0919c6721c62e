/**
 * Fuzz targets. Each turns an input index into a deterministic mutated input,
 * runs a decoder on it in this thread and judges the result:
 *
 * - codec targets (nocomp, zlib-pako, zlib-node, zstd): mostly whole
 *   migrations through assembleMigration (main stream parser, channel
 *   framer, initial-packet checks, sync barrier, the codec's recvPages) into
 *   a GuardedSink; the rest straight into recvPages, packet after packet of
 *   one channel, with page views laid out in guarded memory.
 * - main: main streams through assembleMigration (no channels), compared
 *   with a one-piece parse of the same bytes.
 * - packet: packet headers through decodePacketHeader, the RAMBlock checks
 *   and ChannelFramer, compared with the reference reading of the format.
 * - initial: initial packets through decodeInitialPacket, checkInitialPacket
 *   and ChannelFramer, compared with the reference.
 */
import {
  ChannelFramer,
  MainStreamParser,
  PACKET_HEADER_SIZE,
  PAGE_SIZE,
  RamBlockTable,
  assembleMigration,
  checkInitialPacket,
  checkPageOffset,
  decodeInitialPacket,
  decodePacketHeader,
  type AssembleOptions,
  type AssembleReport,
} from '@multifd/core';
import { Scratch, caseOf, channelParts, chunkStream, expectedPages, fromChunks, type Case } from './case.js';
import {
  BY_VALUE,
  CODEC_TARGETS,
  LIMITS,
  checkSeed,
  codecSeeds,
  codecSetup,
  captures,
  decodeChannelPages,
  type CodecSetup,
  type CodecTargetName,
  type SeedSet,
  type TargetName,
} from './corpus.js';
import { GuardedSink } from './guarded-sink.js';
import { CHANNEL_MUTATORS, MAIN_MUTATORS, getU32, mutate, setU32, setU64, type CodecTraits } from './mutate.js';
import { refChannelCheck, refInitialPacket, refOffset, refPacketHeader } from './reference.js';
import { INTERESTING_U32, Rng, inputRng } from './rng.js';
import { buildSeed, captureSeed, reduceMain, type MigrationSeed } from './seeds.js';
import { classifyThrown, type ExecResult } from './stats.js';

export interface TargetOptions {
  /** Seed of the whole run: input i of target T is rebuilt from (runSeed, T, i). */
  runSeed: string;
  /** Milliseconds one input may take before it counts as a hang. */
  hangMs: number;
  fixtures?: string;
  /** Share of codec-target inputs built from whole captures (default 0.002). */
  fullCaptureRate?: number;
}

export interface Target {
  readonly name: TargetName;
  /** Run input `index`. */
  run(index: number): Promise<ExecResult>;
  /** The input `index` as streams (main, channels), for --dump. */
  describe?(index: number): { notes: string[]; seed: string; streams: Record<string, Uint8Array> };
}

const HANG = Symbol('hang');

/** `promise`, or HANG after `ms` (the timer is cleared either way). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof HANG> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof HANG>((resolve) => {
    timer = setTimeout(() => resolve(HANG), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function judge(result: ExecResult, expect: Case['expect'], pages: number, expected: number, violations: readonly string[]): void {
  const p = result.problems;
  if (result.outcome === 'crash') p.push({ kind: 'crash', detail: `${result.untyped}: ${result.message}` });
  else if (result.untyped) p.push({ kind: 'untyped', detail: `${result.untyped}: ${result.message}` });
  if (result.outcome === 'hang') p.push({ kind: 'hang', detail: 'no result within the time bound' });
  for (const v of violations) p.push({ kind: 'outside-write', detail: v });
  if (expect.mustFail) {
    result.checked = 'mustFail';
    if (result.outcome === 'ok') p.push({ kind: 'undetected', detail: `accepted, but ${expect.mustFail}` });
  } else if (expect.mustSucceed) {
    result.checked = 'mustSucceed';
    if (result.outcome === 'error') p.push({ kind: 'false-reject', detail: `${result.code} on an input that must be accepted (${expect.mustSucceed}): ${result.message}` });
    else if (result.outcome === 'ok' && !expect.pagesMayChange && pages !== expected) {
      p.push({ kind: 'false-reject', detail: `reports ${pages} pages, the unchanged input ${expected} (${expect.mustSucceed})` });
    }
  } else if (expect.loss) {
    result.checked = 'loss';
    if (result.outcome === 'ok' && pages >= expected) p.push({ kind: 'silent-loss', detail: `reports all ${pages} pages although ${expect.loss}` });
  }
}

// ---- codec targets ------------------------------------------------------------

interface RecvPacket {
  payload: Uint8Array;
  normal: number;
  flags: number;
  nextPacketSize: number;
}

interface RecvChannel {
  seed: MigrationSeed;
  packets: RecvPacket[];
  /** Decoded pages of each packet (unmutated), filled on first use. */
  expected?: Uint8Array[];
}

/** Guarded memory for recvPages' page views. */
class PageArena {
  readonly buf = new Uint8Array((2 * 160 + 4) * PAGE_SIZE);
  #guards: [number, number][] = [];
  static readonly PATTERN = (() => {
    const p = new Uint8Array(PAGE_SIZE);
    for (let i = 0; i < p.length; i++) p[i] = (i * 167 + 89) & 0xff;
    return p;
  })();

  /** `n` page views in one of four layouts; guard gaps around and between them. */
  layout(n: number, how: number, r: Rng): Uint8Array[] {
    const views: Uint8Array[] = new Array(n);
    const starts: number[] = [];
    let at = PAGE_SIZE;
    this.#guards = [[0, PAGE_SIZE]];
    if (how === 0 || how === 1) {
      // one run (how 1: views in reverse order inside it, so nothing merges)
      for (let i = 0; i < n; i++) starts.push(at + (how === 1 ? n - 1 - i : i) * PAGE_SIZE);
      at += n * PAGE_SIZE;
    } else {
      // how 2: a gap page after every page; how 3: random runs separated by gaps
      for (let i = 0; i < n; i++) {
        starts.push(at);
        at += PAGE_SIZE;
        if (how === 2 || r.chance(0.3) || i === n - 1) {
          this.#guards.push([at, at + PAGE_SIZE]);
          at += PAGE_SIZE;
        }
      }
    }
    if (how === 0 || how === 1) this.#guards.push([at, at + PAGE_SIZE]);
    for (let i = 0; i < n; i++) views[i] = this.buf.subarray(starts[i]!, starts[i]! + PAGE_SIZE);
    for (const [a, b] of this.#guards) this.buf.set(PageArena.PATTERN.subarray(0, b - a), a);
    return views;
  }

  /** Damaged guards since the last layout(). */
  check(): string[] {
    const bad: string[] = [];
    for (const [a, b] of this.#guards) {
      if (!Buffer.from(this.buf.buffer, a, b - a).equals(PageArena.PATTERN.subarray(0, b - a))) bad.push(`recvPages wrote outside its page views (guard at ${a})`);
    }
    return bad;
  }
}

export class CodecTarget implements Target {
  readonly name: CodecTargetName;
  readonly #o: TargetOptions;
  readonly #setup: CodecSetup;
  readonly #seeds: SeedSet;
  readonly #sink = new GuardedSink({ maxBlockBytes: LIMITS.maxBlockBytes, unknownBlockBytes: LIMITS.unknownBlockBytes });
  readonly #scratch = new Scratch();
  readonly #arena = new PageArena();
  /** Channels with data packets, by seed. */
  readonly #recvChannels = new Map<MigrationSeed, RecvChannel[]>();

  private constructor(name: CodecTargetName, o: TargetOptions, setup: CodecSetup, seeds: SeedSet) {
    this.name = name;
    this.#o = o;
    this.#setup = setup;
    this.#seeds = seeds;
    for (const seed of [...seeds.full, ...seeds.reduced, ...seeds.reduced2, ...seeds.synthetic, ...seeds.variants]) {
      const list: RecvChannel[] = [];
      // A variant: only its changed channel (the others are plain channels of its synthetic seed).
      for (const ch of seed.variantChannel !== undefined ? [seed.channels[seed.variantChannel]!] : seed.channels) {
        const packets = ch.packets
          .filter((p) => p.h.normalPages > 0)
          .map((p) => ({ payload: p.payload, normal: p.h.normalPages, flags: p.h.flags, nextPacketSize: p.h.nextPacketSize }));
        if (packets.length > 0) list.push({ seed, packets });
      }
      if (list.length > 0) this.#recvChannels.set(seed, list);
    }
  }

  static async create(name: CodecTargetName, o: TargetOptions): Promise<CodecTarget> {
    const setup = await codecSetup(name);
    const seeds = await codecSeeds(setup, o.fixtures);
    const t = new CodecTarget(name, o, setup, seeds);
    for (const seed of [...seeds.full, ...seeds.reduced, ...seeds.reduced2, ...seeds.synthetic, ...seeds.variants]) await checkSeed(seed, setup, t.#sink);
    return t;
  }

  get seeds(): SeedSet {
    return this.#seeds;
  }

  /**
   * A seed for one input: synthetic migrations most of the time (small, so
   * fast), the reduced captures about one input in six, variants one in ten,
   * a whole capture rarely. A packet of a capture carries up to 128 pages
   * (512 KiB to decode); the mix keeps a run in the thousands of inputs per
   * second while every capture byte still gets mutated many times.
   */
  #pickSeed(r: Rng): MigrationSeed {
    const s = this.#seeds;
    const full = this.#o.fullCaptureRate ?? 0.001;
    if (s.full.length > 0 && r.chance(full)) return r.pick(s.full);
    const i = r.weighted([s.reduced.length > 0 ? 10 : 0, s.reduced2.length > 0 ? 2 : 0, 78, s.variants.length > 0 ? 10 : 0]);
    return r.pick(i === 0 ? s.reduced : i === 1 ? s.reduced2 : i === 2 ? s.synthetic : s.variants);
  }

  /** The mutated case of input `index` (assemble mode), without running it. */
  #case(r: Rng): Case {
    const seed = this.#pickSeed(r);
    const c = caseOf(seed, r, LIMITS.unknownBlockBytes);
    if (seed.mustFail && r.chance(0.5)) mutate(c, r, this.#setup.traits, CHANNEL_MUTATORS, 0);
    else mutate(c, r, this.#setup.traits, CHANNEL_MUTATORS);
    if (c.ops === 0) c.expect = seed.mustFail ? { mustFail: seed.mustFail } : { mustSucceed: 'unchanged input' };
    else if (seed.mustFail) {
      // A variant's bad payload is still there after a mutation that must fail
      // or that changes nothing a receiver reads; after any other, nobody knows.
      c.expect = c.expect.mustFail ? c.expect : c.expect.mustSucceed ? { mustFail: `${seed.mustFail}, and ${c.expect.mustSucceed}` } : {};
    }
    return c;
  }

  run(index: number): Promise<ExecResult> {
    const r = inputRng(this.#o.runSeed, this.name, index);
    return r.chance(0.7) ? this.#assemble(r) : this.#recv(r);
  }

  describe(index: number): { notes: string[]; seed: string; streams: Record<string, Uint8Array> } {
    const r = inputRng(this.#o.runSeed, this.name, index);
    if (!r.chance(0.7)) return { notes: ['(a recvPages input: no streams to dump)'], seed: '', streams: {} };
    const c = this.#case(r);
    const streams: Record<string, Uint8Array> = {};
    if (c.useMain) streams['conn0-main.bin'] = c.main;
    c.channels.forEach((ch, i) => {
      streams[`conn${i + 1}-multifd-ch${ch.id}.bin`] = this.#scratch.concat(100 + i, channelParts(ch)).slice();
    });
    return { notes: c.notes, seed: c.seed.name, streams };
  }

  async #assemble(r: Rng): Promise<ExecResult> {
    const c = this.#case(r);
    const sink = this.#sink;
    sink.reset();
    const main = c.useMain ? { label: 'main', source: fromChunks(chunkStream([c.main], r, this.#scratch, 0)) } : undefined;
    const channels = r.shuffle(c.channels.map((ch, i) => ({ label: `ch${i}`, source: fromChunks(chunkStream(channelParts(ch), r, this.#scratch, i + 1)) })));
    const result: ExecResult = { outcome: 'ok', problems: [], mode: 'assemble', seed: c.seed.name, notes: c.notes };
    const pages = await assemble(
      {
        ...(main ? { main } : {}),
        channels,
        registry: this.#setup.registry,
        sink,
        ...(c.method !== undefined ? { method: c.method } : {}),
        ...(c.uuid !== undefined ? { uuid: c.uuid } : {}),
        ...(c.channelCount !== undefined ? { channelCount: c.channelCount } : {}),
        maxBlockBytes: LIMITS.unknownBlockBytes,
      },
      this.#o.hangMs,
      result,
    );
    judge(result, c.expect, pages, expectedPages(c), sink.check());
    return result;
  }

  async #recv(r: Rng): Promise<ExecResult> {
    let list: RecvChannel[] | undefined;
    for (let tries = 0; !list && tries < 100; tries++) list = this.#recvChannels.get(this.#pickSeed(r));
    if (!list) throw new Error(`${this.name}: no seed has a channel with data packets`);
    const rc = r.pick(list);
    const setup = this.#setup;
    const compressed = setup.traits.compressed;
    const packets = rc.packets.map((p) => ({ ...p }));
    const notes: string[] = [];
    const expect: Case['expect'] = {};
    /** Index of the first packet that is not as in the seed. */
    let first = packets.length;
    const k = r.below(packets.length);
    const p = packets[k]!;
    const len = p.payload.length;
    const how = rc.seed.mustFail && r.chance(0.5) ? -1 : r.below(12);
    switch (how) {
      case -1:
        expect.mustFail = rc.seed.mustFail;
        notes.push('variant seed, unchanged');
        break;
      case 0: {
        const out = new Uint8Array(p.payload);
        for (let i = r.int(1, 8); i > 0; i--) {
          const bit = r.below(len * 8);
          out[bit >>> 3]! ^= 1 << (bit & 7);
        }
        p.payload = out;
        if (!compressed) expect.mustSucceed = 'nocomp payload bytes are page contents';
        notes.push(`bitflip payload #${k}`);
        first = k;
        break;
      }
      case 1: {
        const n = r.chance(0.5) ? r.int(1, 8) : r.int(1, len);
        p.payload = p.payload.subarray(0, len - n);
        if (n !== setup.traits.harmlessCut || !compressed) expect.mustFail = 'payload cut short';
        notes.push(`payload #${k} -${n} bytes`);
        first = k;
        break;
      }
      case 2: {
        const extra = r.chance(0.3) && setup.traits.emptyFlush ? setup.traits.emptyFlush : r.bytes(r.int(1, 64));
        const out = new Uint8Array(len + extra.length);
        out.set(p.payload);
        out.set(extra, len);
        p.payload = out;
        if (!compressed) expect.mustFail = 'nocomp payload longer than its pages';
        notes.push(`payload #${k} +${extra.length} bytes`);
        first = k;
        break;
      }
      case 3: {
        const n = Math.max(1, Math.min(128, p.normal + r.pick([-p.normal + 1, -1, 1, 2, 8, r.int(1, 127) - p.normal])));
        if (n === p.normal) return this.#recv(r);
        notes.push(`normal_pages #${k} ${p.normal} -> ${n}`);
        p.normal = n;
        expect.mustFail = 'payload decodes to another number of pages';
        first = k;
        break;
      }
      case 4: {
        if (packets.length < 2) return this.#recv(r);
        const j = (k + 1 + r.below(packets.length - 1)) % packets.length;
        p.payload = packets[j]!.payload;
        p.nextPacketSize = p.payload.length;
        notes.push(`payload #${k} := payload #${j}`);
        if (!compressed && packets[j]!.normal === p.normal) expect.mustSucceed = 'nocomp packets are independent';
        first = k;
        break;
      }
      case 5: {
        if (packets.length < 2) return this.#recv(r);
        packets.splice(k, 1);
        notes.push(`drop packet #${k}`);
        if (!compressed) expect.mustSucceed = 'nocomp packets are independent';
        first = k;
        break;
      }
      case 6: {
        if (!setup.traits.startBomb) return this.#recv(r);
        packets[0]!.payload = setup.traits.startBomb;
        expect.mustFail = 'payload inflates to 1024 pages';
        notes.push('bomb as the first payload');
        first = 0;
        break;
      }
      case 7: {
        p.payload = new Uint8Array(0);
        expect.mustFail = 'empty payload for a packet with pages';
        notes.push(`empty payload #${k}`);
        first = k;
        break;
      }
      case 8: {
        const out = new Uint8Array(p.payload);
        const from = r.below(len);
        if (r.chance(0.5)) r.fill(out.subarray(from, Math.min(len, from + r.int(1, 256))));
        else out.fill(r.pick([0, 0xff]), from, Math.min(len, from + r.int(1, 4096)));
        p.payload = out;
        if (!compressed) expect.mustSucceed = 'nocomp payload bytes are page contents';
        notes.push(`payload #${k} bytes at ${from}`);
        first = k;
        break;
      }
      case 9: {
        if (packets.length < 2 || k === packets.length - 1) return this.#recv(r);
        [packets[k], packets[k + 1]] = [packets[k + 1]!, packets[k]!];
        notes.push(`swap packets #${k} #${k + 1}`);
        if (!compressed) expect.mustSucceed = 'nocomp packets are independent';
        first = k;
        break;
      }
      default:
        if (rc.seed.mustFail) expect.mustFail = rc.seed.mustFail;
        else expect.mustSucceed = 'unchanged packets';
        notes.push('no mutation');
    }
    // A variant's bad packet may come before the mutation (no packet is known
    // pristine then), and a mutation may undo it (no expectation then).
    if (rc.seed.mustFail) {
      first = 0;
      if (how !== -1 && how < 10) for (const k of Object.keys(expect)) delete expect[k as keyof typeof expect];
    }
    const layout = r.below(4);
    notes.push(`layout ${['run', 'reversed', 'scattered', 'mixed'][layout]}`);
    const result: ExecResult = { outcome: 'ok', problems: [], mode: 'recv', seed: rc.seed.name, notes };
    const unchanged = notes.includes('no mutation') && !rc.seed.mustFail;
    if (unchanged && !rc.expected) rc.expected = await decodeChannelPages(setup, rc.packets);
    let failedAt = -1;
    const violations: string[] = [];
    let state: unknown;
    const work = (async () => {
      state = await setup.codec.recvSetup({ id: 0 });
      for (let i = 0; i < packets.length; i++) {
        const q = packets[i]!;
        const pages = this.#arena.layout(q.normal, layout, r);
        failedAt = i;
        await setup.codec.recvPages(state, { flags: q.flags, normalPages: q.normal, nextPacketSize: q.nextPacketSize, payload: q.payload, pages });
        violations.push(...this.#arena.check());
        if (unchanged) {
          const want = rc.expected![i]!;
          for (let j = 0; j < pages.length; j++) {
            if (!Buffer.from(pages[j]!.buffer, pages[j]!.byteOffset, PAGE_SIZE).equals(want.subarray(j * PAGE_SIZE, (j + 1) * PAGE_SIZE))) {
              result.problems.push({ kind: 'false-reject', detail: `packet ${i} page ${j} decodes to other bytes than the seed's` });
              break;
            }
          }
        }
      }
      failedAt = -1;
    })();
    try {
      if ((await within(work, this.#o.hangMs)) === HANG) result.outcome = 'hang';
    } catch (e) {
      Object.assign(result, classifyThrown(e));
      violations.push(...this.#arena.check());
      if (failedAt >= 0 && failedAt < first) result.problems.push({ kind: 'false-reject', detail: `packet ${failedAt} fails (${result.code ?? result.untyped}) before the first changed packet ${first}` });
    }
    try {
      if (state !== undefined) await setup.codec.recvCleanup(state);
    } catch (e) {
      const c = classifyThrown(e);
      result.problems.push({ kind: c.outcome === 'crash' ? 'crash' : 'untyped', detail: `recvCleanup threw ${c.code ?? c.untyped}: ${c.message}` });
    }
    judge(result, expect, 0, 0, violations);
    return result;
  }
}

function pagesOf(report: AssembleReport): number {
  let n = 0;
  for (const b of report.ramblocks) n += b.pages;
  return n;
}

/** assembleMigration within the hang bound; the outcome goes into `result`, the pages it reports are returned. */
async function assemble(options: AssembleOptions, hangMs: number, result: ExecResult): Promise<number> {
  try {
    const report = await within(assembleMigration({ ...options, mainStream: { maxRamBytes: LIMITS.maxRamBytes } }), hangMs);
    if (report !== HANG) return pagesOf(report);
    result.outcome = 'hang';
  } catch (e) {
    Object.assign(result, classifyThrown(e));
  }
  return 0;
}

// ---- main stream target --------------------------------------------------------

const NO_CODEC: CodecTraits = { value: 0, compressed: false };

export class MainTarget implements Target {
  readonly name = 'main' as const;
  readonly #o: TargetOptions;
  readonly #seeds: { full: MigrationSeed[]; small: MigrationSeed[] };
  readonly #sink = new GuardedSink({ maxBlockBytes: LIMITS.maxBlockBytes, unknownBlockBytes: LIMITS.unknownBlockBytes });
  readonly #scratch = new Scratch();
  readonly #setup: CodecSetup;

  private constructor(o: TargetOptions, seeds: { full: MigrationSeed[]; small: MigrationSeed[] }, setup: CodecSetup) {
    this.#o = o;
    this.#seeds = seeds;
    this.#setup = setup;
  }

  static async create(o: TargetOptions): Promise<MainTarget> {
    const setup = await codecSetup('nocomp');
    const full: MigrationSeed[] = [];
    const small: MigrationSeed[] = [];
    for (const cap of captures(o.fixtures)) {
      const seed = mainOnly(captureSeed(cap, BY_VALUE));
      full.push(seed);
      for (const [zeroRecords, tail] of [
        [8, 32],
        [64, 512],
      ] as const) {
        const main = reduceMain(seed.main, seed.records, seed.ramEnd, { zeroRecords, tail });
        small.push(mainOnly(buildSeed(`${seed.name} main (${zeroRecords} zero records a run)`, 'reduced', BY_VALUE.get(seed.method)!, main, [])));
      }
    }
    // Synthetic main streams: one per profile, from the nocomp seeds.
    for (const s of (await codecSeeds(setup, o.fixtures)).synthetic) small.push(mainOnly(s));
    return new MainTarget(o, { full, small }, setup);
  }

  run(index: number): Promise<ExecResult> {
    const r = inputRng(this.#o.runSeed, 'main', index);
    const seed = this.#seeds.full.length > 0 && r.chance(0.02) ? r.pick(this.#seeds.full) : r.pick(this.#seeds.small);
    const c = caseOf(seed, r, LIMITS.unknownBlockBytes);
    c.useMain = true;
    c.channels = [];
    mutate(c, r, NO_CODEC, MAIN_MUTATORS);
    if (c.ops === 0) c.expect = { mustSucceed: 'unchanged input' };
    return this.#exec(c, r);
  }

  async #exec(c: Case, r: Rng): Promise<ExecResult> {
    const result: ExecResult = { outcome: 'ok', problems: [], mode: 'main', seed: c.seed.name, notes: c.notes };
    // The reference: the same bytes parsed in one piece.
    let whole: string | undefined;
    try {
      const parser = new MainStreamParser({ maxRamBytes: LIMITS.maxRamBytes });
      const { consumed } = parser.parse(c.main);
      parser.finish(c.main.length - consumed);
    } catch (e) {
      const k = classifyThrown(e);
      if (k.outcome === 'crash') result.problems.push({ kind: 'crash', detail: `one-piece parse threw ${k.untyped}: ${k.message}` });
      whole = k.code ?? k.untyped;
    }
    const sink = this.#sink;
    sink.reset();
    const main = { label: 'main', source: fromChunks(chunkStream([c.main], r, this.#scratch, 0)) };
    const pages = await assemble({ main, channels: [], registry: this.#setup.registry, sink }, this.#o.hangMs, result);
    if (whole !== undefined && result.outcome === 'ok') {
      result.problems.push({ kind: 'inconsistent', detail: `a one-piece parse fails (${whole}) but the chunked receive succeeds` });
    }
    judge(result, c.expect, pages, c.seed.distinctPages, sink.check());
    return result;
  }
}

/** A seed reduced to its main stream: the pages it counts are the main stream's. */
function mainOnly(seed: MigrationSeed): MigrationSeed {
  return { ...seed, channels: [], packetDeliveries: new Map(), distinctPages: seed.mainDeliveries.size, channelPages: 0 };
}

// ---- packet header target --------------------------------------------------------

interface HeaderSeed {
  header: Uint8Array;
  table: RamBlockTable;
  blocks: ReadonlyMap<string, number>;
  seed: string;
}

/** The framer test's payloads: 16 bytes a page (the framer only counts them). */
const ZERO_PAYLOAD = new Uint8Array(128 * 16);

export class PacketTarget implements Target {
  readonly name = 'packet' as const;
  readonly #o: TargetOptions;
  readonly #headers: HeaderSeed[];
  readonly #init: Uint8Array;

  private constructor(o: TargetOptions, headers: HeaderSeed[], init: Uint8Array) {
    this.#o = o;
    this.#headers = headers;
    this.#init = init;
  }

  static async create(o: TargetOptions): Promise<PacketTarget> {
    const headers: HeaderSeed[] = [];
    let init: Uint8Array | undefined;
    const add = (seed: MigrationSeed) => {
      const table = new RamBlockTable(seed.blocks);
      const blocks = new Map(seed.blocks.map((b) => [b.name, b.usedLength]));
      for (const ch of seed.channels) {
        init ??= ch.init;
        for (const p of ch.packets) headers.push({ header: p.header, table, blocks, seed: seed.name });
      }
    };
    for (const cap of captures(o.fixtures)) add(captureSeed(cap, BY_VALUE));
    for (const name of CODEC_TARGETS) {
      if (name === 'zlib-node') continue;
      const setup = await codecSetup(name);
      for (const s of (await codecSeeds(setup, o.fixtures)).synthetic) add(s);
    }
    return new PacketTarget(o, headers, init ?? new Uint8Array(64));
  }

  async run(index: number): Promise<ExecResult> {
    const r = inputRng(this.#o.runSeed, 'packet', index);
    const base = r.pick(this.#headers);
    const h = new Uint8Array(base.header);
    const notes: string[] = [];
    let len = h.length;
    for (let n = r.int(1, 4); n > 0; n--) {
      const how = r.below(8);
      if (how === 0) {
        const bit = r.below(h.length * 8);
        h[bit >>> 3]! ^= 1 << (bit & 7);
        notes.push(`bit ${bit}`);
      } else if (how === 1) {
        const field = r.pick([0, 4, 8, 12, 16, 20, 32]);
        setU32(h, field, r.chance(0.7) ? r.pick(INTERESTING_U32) : (getU32(h, field) + r.int(-2, 2)) >>> 0);
        notes.push(`u32 @${field} = ${getU32(h, field)}`);
      } else if (how === 2) {
        const i = r.below(128);
        const used = [...base.blocks.values()][r.below(base.blocks.size)] ?? 0;
        setU64(h, 320 + 8 * i, r.pick([BigInt(used), BigInt(used - PAGE_SIZE), BigInt(used + 1), BigInt(r.u32()), 2n ** 53n, 2n ** 64n - 1n, 2n ** 52n + 4096n]));
        notes.push(`offset[${i}]`);
      } else if (how === 3) {
        const name = r.pick([...base.blocks.keys(), 'pc.ran', '', 'x'.repeat(255), 'x'.repeat(256)]);
        h.fill(0, 64, 320);
        for (let i = 0; i < Math.min(256, name.length); i++) h[64 + i] = name.charCodeAt(i);
        notes.push(`ramblock ${JSON.stringify(name.slice(0, 20))}${name.length > 20 ? '...' : ''}`);
      } else if (how === 4) {
        setU32(h, 8, r.pick([0, 1, 2, 3, 4, 5, 6, 0x0e, 0x0f, 0x10, 0x20, 0x40, 0x80, 0x100, 0x80000000, r.u32()]));
        notes.push(`flags 0x${getU32(h, 8).toString(16)}`);
      } else if (how === 5) {
        len = r.int(1, PACKET_HEADER_SIZE - 1);
        notes.push(`truncated to ${len}`);
      } else if (how === 6) {
        const k = r.int(0, 128);
        setU32(h, 12, k);
        setU32(h, 16, r.int(0, k + 1));
        setU32(h, 32, r.int(0, k + 1));
        notes.push(`pages ${getU32(h, 12)}/${getU32(h, 16)}/${getU32(h, 32)}`);
      } else {
        h[r.below(h.length)] = r.pick([0, 0xff, 0x80, 0x7f]);
        notes.push('byte');
      }
    }
    const bytes = h.subarray(0, len);
    const result: ExecResult = { outcome: 'ok', problems: [], mode: 'packet', seed: base.seed, notes };
    const ref = refPacketHeader(bytes);
    // core: the header, then the RAMBlock and offset checks a receiver makes.
    let decoded: ReturnType<typeof decodePacketHeader> | undefined;
    try {
      decoded = decodePacketHeader(bytes);
    } catch (e) {
      Object.assign(result, classifyThrown(e));
    }
    if (result.outcome === 'crash') {
      judge(result, {}, 0, 0, []);
      return result;
    }
    if (ref.ok !== (decoded !== undefined)) {
      result.problems.push({ kind: 'inconsistent', detail: ref.ok ? `core rejects (${result.code}) a header the format allows` : `core accepts a header the format rejects (${ref.why})` });
    } else if (!ref.ok && result.code && !ref.codes.has(result.code as never)) {
      result.problems.push({ kind: 'inconsistent', detail: `core says ${result.code}, the format ${[...ref.codes].join('/')} (${ref.why})` });
    } else if (ref.ok && decoded) {
      const v = ref.value;
      const same =
        v.flags === decoded.flags &&
        v.pagesAlloc === decoded.pagesAlloc &&
        v.normalPages === decoded.normalPages &&
        v.zeroPages === decoded.zeroPages &&
        v.nextPacketSize === decoded.nextPacketSize &&
        v.packetNum === decoded.packetNum &&
        v.ramblock === decoded.ramblock &&
        v.offsets.length === decoded.offsets.length &&
        v.offsets.every((o, i) => o === decoded!.offsets[i]);
      if (!same) result.problems.push({ kind: 'inconsistent', detail: 'core decodes fields differently from the reference' });
      for (const off of v.offsets) {
        const want = refOffset(off, base.blocks.get(v.ramblock));
        let got: string | undefined;
        try {
          checkPageOffset(base.table.get(decoded.ramblock), off);
        } catch (e) {
          const k = classifyThrown(e);
          if (k.outcome === 'crash') result.problems.push({ kind: 'crash', detail: `offset check threw ${k.untyped}: ${k.message}` });
          got = k.code ?? k.untyped;
        }
        if (want.ok !== (got === undefined) || (!want.ok && !want.codes.has(got as never))) {
          result.problems.push({ kind: 'inconsistent', detail: `offset 0x${off.toString(16)} of ${JSON.stringify(v.ramblock)}: core ${got ?? 'accepts'}, the format ${want.ok ? 'accepts' : [...want.codes].join('/')}` });
          break;
        }
        if (got) {
          result.outcome = 'error';
          result.code = got;
          break;
        }
      }
    }
    // The framer must agree with the direct decode, however the bytes arrive.
    const direct = decoded ? 'ok' : result.code;
    let framed: string | undefined;
    try {
      const framer = new ChannelFramer({ payloadLength: (hd) => Math.min(hd.normalPages, 128) * 16 });
      const stream = [this.#init, bytes, ...(decoded ? [ZERO_PAYLOAD.subarray(0, Math.min(decoded.normalPages, 128) * 16)] : [])];
      const whole = new Uint8Array(stream.reduce((a, b) => a + b.length, 0));
      let at = 0;
      for (const s of stream) {
        whole.set(s, at);
        at += s.length;
      }
      let frames = 0;
      for (let pos = 0; pos < whole.length; ) {
        const n = r.int(1, r.chance(0.5) ? 97 : whole.length);
        frames += framer.push(whole.subarray(pos, pos + n)).length;
        pos += n;
      }
      framer.finish();
      framed = frames === 2 ? 'ok' : `${frames} frames`;
    } catch (e) {
      const k = classifyThrown(e);
      if (k.outcome === 'crash') result.problems.push({ kind: 'crash', detail: `ChannelFramer threw ${k.untyped}: ${k.message}` });
      framed = k.code ?? k.untyped;
    }
    if (framed !== direct) result.problems.push({ kind: 'inconsistent', detail: `ChannelFramer says ${framed}, decodePacketHeader ${direct}` });
    judge(result, {}, 0, 0, []);
    result.checked = ref.ok ? 'mustSucceed' : 'mustFail';
    return result;
  }
}

// ---- initial packet target --------------------------------------------------------

export class InitialTarget implements Target {
  readonly name = 'initial' as const;
  readonly #o: TargetOptions;
  readonly #inits: { init: Uint8Array; seed: string; channels: number }[];

  private constructor(o: TargetOptions, inits: { init: Uint8Array; seed: string; channels: number }[]) {
    this.#o = o;
    this.#inits = inits;
  }

  static async create(o: TargetOptions): Promise<InitialTarget> {
    const inits: { init: Uint8Array; seed: string; channels: number }[] = [];
    for (const cap of captures(o.fixtures)) {
      const seed = captureSeed(cap, BY_VALUE);
      for (const ch of seed.channels) inits.push({ init: ch.init, seed: seed.name, channels: seed.channels.length });
    }
    const setup = await codecSetup('nocomp');
    for (const s of (await codecSeeds(setup, o.fixtures)).synthetic) for (const ch of s.channels) inits.push({ init: ch.init, seed: s.name, channels: s.channels.length });
    return new InitialTarget(o, inits);
  }

  async run(index: number): Promise<ExecResult> {
    const r = inputRng(this.#o.runSeed, 'initial', index);
    const base = r.pick(this.#inits);
    const b = new Uint8Array(base.init);
    const notes: string[] = [];
    let len = 64;
    for (let n = r.int(0, 3); n > 0; n--) {
      const how = r.below(7);
      if (how === 0) {
        const bit = r.below(64 * 8);
        b[bit >>> 3]! ^= 1 << (bit & 7);
        notes.push(`bit ${bit}`);
      } else if (how === 1) {
        b[24] = r.pick([0, 1, 2, 3, 254, 255, r.below(256)]);
        notes.push(`id ${b[24]}`);
      } else if (how === 2) {
        b[8 + r.below(16)] = r.below(256);
        notes.push('uuid byte');
      } else if (how === 3) {
        setU32(b, r.pick([0, 4]), r.pick(INTERESTING_U32));
        notes.push('magic/version');
      } else if (how === 4) {
        len = r.below(64);
        notes.push(`truncated to ${len}`);
      } else if (how === 5) {
        r.fill(b.subarray(25, 64));
        notes.push('unused bytes');
      } else {
        r.fill(b.subarray(8, 24));
        notes.push('random uuid');
      }
    }
    const channels = r.pick([1, 2, 3, base.channels, 255, r.int(1, 255)]);
    const uuid = r.chance(0.7) ? base.init.slice(8, 24) : r.bytes(16);
    const seen = new Set<number>();
    for (let i = r.int(0, 3); i > 0; i--) seen.add(r.below(Math.min(channels + 1, 256)));
    notes.push(`expect ${channels} channels, seen {${[...seen].join(',')}}`);
    const bytes = b.subarray(0, len);
    const result: ExecResult = { outcome: 'ok', problems: [], mode: 'initial', seed: base.seed, notes };
    let decodeCode: string | undefined;
    try {
      const p = decodeInitialPacket(bytes);
      const ref = refInitialPacket(bytes);
      if (!ref.ok) result.problems.push({ kind: 'inconsistent', detail: `core accepts an initial packet the format rejects (${ref.why})` });
      else if (ref.value.id !== p.id || !Buffer.from(ref.value.uuid).equals(Buffer.from(p.uuid))) result.problems.push({ kind: 'inconsistent', detail: 'core decodes id/uuid differently' });
      try {
        checkInitialPacket(p, { channels, uuid, seen });
        const want = refChannelCheck({ uuid: p.uuid, id: p.id }, { channels, uuid, seen });
        if (!want.ok) result.problems.push({ kind: 'inconsistent', detail: `core accepts a channel the receiver must refuse (${want.why})` });
      } catch (e) {
        Object.assign(result, classifyThrown(e));
        const want = refChannelCheck({ uuid: p.uuid, id: p.id }, { channels, uuid, seen });
        if (want.ok) result.problems.push({ kind: 'inconsistent', detail: `core refuses (${result.code}) a valid channel` });
        else if (result.code && !want.codes.has(result.code as never)) result.problems.push({ kind: 'inconsistent', detail: `core says ${result.code}, the rules ${[...want.codes].join('/')}` });
      }
    } catch (e) {
      Object.assign(result, classifyThrown(e));
      decodeCode = result.code ?? result.untyped;
      const ref = refInitialPacket(bytes);
      if (ref.ok) result.problems.push({ kind: 'inconsistent', detail: `core rejects (${decodeCode}) an initial packet the format allows` });
      else if (result.code && !ref.codes.has(result.code as never)) result.problems.push({ kind: 'inconsistent', detail: `core says ${result.code}, the format ${[...ref.codes].join('/')}` });
    }
    // The framer reads the same packet, in pieces.
    try {
      const framer = new ChannelFramer({ payloadLength: () => 0 });
      let frames = 0;
      for (let pos = 0; pos < bytes.length; ) {
        const n = r.int(1, 64);
        frames += framer.push(bytes.subarray(pos, pos + n)).length;
        pos += n;
      }
      framer.finish();
      if (decodeCode !== undefined || frames !== 1) result.problems.push({ kind: 'inconsistent', detail: `ChannelFramer frames ${frames} initial packets, decodeInitialPacket says ${decodeCode ?? 'ok'}` });
    } catch (e) {
      const k = classifyThrown(e);
      if (k.outcome === 'crash') result.problems.push({ kind: 'crash', detail: `ChannelFramer threw ${k.untyped}: ${k.message}` });
      else if (k.code !== decodeCode) result.problems.push({ kind: 'inconsistent', detail: `ChannelFramer says ${k.code}, decodeInitialPacket ${decodeCode ?? 'ok'}` });
    }
    judge(result, {}, 0, 0, []);
    result.checked = result.outcome === 'ok' ? 'mustSucceed' : 'mustFail';
    return result;
  }
}

export async function createTarget(name: TargetName, o: TargetOptions): Promise<Target> {
  switch (name) {
    case 'main':
      return MainTarget.create(o);
    case 'packet':
      return PacketTarget.create(o);
    case 'initial':
      return InitialTarget.create(o);
    default:
      return CodecTarget.create(name, o);
  }
}

