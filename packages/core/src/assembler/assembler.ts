/**
 * Rebuilds RAM from the streams of one migration (the main stream's side
 * is main-stream-loop.ts, the channels' side here): the main stream (RAMBlock
 * list, zero and normal page records, sync points) and N multifd channels
 * (packets of pages, SYNC packets), applied epoch by epoch (see
 * sync-barrier.ts) into a PageSink. Files and sockets are the same to it:
 * every input is an AsyncIterable of byte chunks. `decode` and `receive` both
 * run through here, so they accept exactly the same streams.
 */
import { setMaxListeners } from 'node:events';
import { PAGE_SIZE } from '../wire/constants.js';
import { payloadLength } from '../codec/payload-limit.js';
import type { Lease } from '../buffers/lease.js';
import { ChannelFramer, releaseFrames, type ChannelFrame } from '../channel-stream/framer.js';
import { MultifdError } from '../errors.js';
import { isSync, methodOfFlags } from '../wire/flags.js';
import { checkInitialPacket, type InitialPacket } from '../wire/initial-packet.js';
import type { AnyMultiFDMethods } from '../codec/methods.js';
import type { PacketHeader } from '../wire/packet.js';
import { checkPageOffset, type RAMBlockInfo, type RamBlockTable } from '../ram/ramblock.js';
import { abortable } from './abortable.js';
import { inlineApplier, type PacketApplier } from './packet-applier.js';
import { MainStreamLoop } from './main-stream-loop.js';
import { PageLedger } from './page-ledger.js';
import type { AssembleOptions, AssembleProgress, AssembleReport, ChannelReport, StreamInput } from './types.js';
import { SyncBarrier } from './sync-barrier.js';

export type { AssembleOptions, AssembleProgress, AssembleReport, ChannelReport, RamBlockReport, StreamInput } from './types.js';

interface ChannelCtx {
  slot: number;
  key: string;
  input: StreamInput;
  report: ChannelReport;
  applier?: PacketApplier;
  /** Applies in flight, oldest first. */
  inflight: Promise<void>[];
}

const DEFAULT_MAX_BLOCK_BYTES = 2 ** 40;

/** An AbortController whose signal may have a listener per stream (hundreds of channels) without a warning. */
function newAbortController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** Run one migration's streams to the end. Rejects with the first MultifdError any stream hits. */
export async function assembleMigration(options: AssembleOptions): Promise<AssembleReport> {
  return new Assembler(options).run();
}

class Assembler {
  readonly #o: AssembleOptions;
  readonly #abort = newAbortController();
  readonly #barrier: SyncBarrier;
  readonly #ledger = new PageLedger();
  readonly #discovered = new Map<string, RAMBlockInfo>();
  readonly #ids = new Set<number>();
  readonly #warnings: string[] = [];
  readonly #progress: AssembleProgress = { pages: 0, bytes: 0, packets: 0, epochs: 0 };
  #table: RamBlockTable | undefined;
  #method: AnyMultiFDMethods | undefined;
  #uuid: Uint8Array | undefined;
  #blocksReady: Promise<void>;
  #resolveBlocks!: () => void;
  #rejectBlocks!: (e: unknown) => void;
  #failure: unknown;
  #main: MainStreamLoop | undefined;

  constructor(options: AssembleOptions) {
    this.#o = options;
    this.#uuid = options.uuid;
    this.#barrier = new SyncBarrier(options.channels.map((c) => c.label), options.main !== undefined, options.onSyncPoint);
    this.#blocksReady = new Promise((resolve, reject) => {
      this.#resolveBlocks = resolve;
      this.#rejectBlocks = reject;
    });
    this.#blocksReady.catch(() => undefined);
    if (!options.main) this.#resolveBlocks();
    if (options.method !== undefined) this.#method = options.registry.lookup(options.method);
    options.signal?.addEventListener('abort', () => this.#fail(options.signal!.reason), { once: true });
  }

  async run(): Promise<AssembleReport> {
    const contexts: ChannelCtx[] = this.#o.channels.map((input, slot) => ({
      slot,
      key: `ch${slot}`,
      input,
      report: { id: -1, label: input.label, packets: 0, syncs: 0, pages: 0, zeroPages: 0, bytes: 0 },
      inflight: [],
    }));
    const tasks = contexts.map((ctx) => this.#guard(this.#channelLoop(ctx)));
    if (this.#o.main) {
      this.#main = new MainStreamLoop(this.#o.main, {
        sink: this.#o.sink,
        barrier: this.#barrier,
        ...(this.#o.mainStream ? { parserOptions: this.#o.mainStream } : {}),
        signal: this.#abort.signal,
        blocksListed: (table) => (this.#table = table),
        blocksReady: () => this.#resolveBlocks(),
        fillZero: (block, offsets, fill) => this.#fillZero(block, offsets, fill),
        mark: (block, offsets, nonZero) => this.#mark(block, offsets, nonZero),
        read: (bytes) => (this.#progress.bytes += bytes),
        tick: () => this.#tick(),
      });
      tasks.push(this.#guard(this.#main.run()));
    }
    await Promise.all(tasks);
    for (const ctx of contexts) await this.#cleanup(ctx);
    if (this.#failure) {
      await this.#o.sink.abort?.();
      throw this.#failure;
    }
    const lengths = new Map<string, number>();
    for (const b of this.#blocks()) lengths.set(b.name, Number.isFinite(b.usedLength) ? b.usedLength : this.#ledger.end(b.name));
    await this.#o.sink.close(lengths);
    return this.#report(contexts, lengths);
  }

  #blocks(): RAMBlockInfo[] {
    return this.#table ? this.#table.list() : [...this.#discovered.values()];
  }

  #report(contexts: ChannelCtx[], lengths: Map<string, number>): AssembleReport {
    const ramblocks = this.#blocks().map((b) => {
      const pages = this.#ledger.pages(b.name);
      const usedLength = lengths.get(b.name) ?? 0;
      return { name: b.name, usedLength, pages, missing: this.#table ? usedLength / PAGE_SIZE - pages : 0 };
    });
    return {
      method: this.#method ? { name: this.#method.name, value: this.#method.value } : null,
      channels: contexts.map((c) => c.report),
      epochs: this.#barrier.epochs,
      syncMode: this.#main ? (this.#main.syncMode ?? 'eos') : 'channels',
      ...(this.#main ? { main: this.#main.report } : {}),
      ramblocks,
      warnings: this.#warnings,
    };
  }

  async #guard(task: Promise<void>): Promise<void> {
    try {
      await task;
    } catch (e) {
      this.#fail(e);
    }
  }

  #fail(error: unknown): void {
    if (this.#failure) return;
    this.#failure = MultifdError.is(error) ? error : MultifdError.wrap(error, 'ERR_MULTIFD_CANCELLED');
    this.#barrier.abort(this.#failure);
    this.#rejectBlocks(this.#failure);
    this.#abort.abort(this.#failure);
  }

  async #cleanup(ctx: ChannelCtx): Promise<void> {
    await Promise.allSettled(ctx.inflight);
    ctx.inflight = [];
    try {
      await ctx.applier?.close();
    } catch (e) {
      this.#fail(e);
    }
  }

  /** Wait until at most `keep` applies of the channel are in flight. */
  async #settle(ctx: ChannelCtx, keep: number): Promise<void> {
    while (ctx.inflight.length > keep) await ctx.inflight.shift();
  }

  #tick(): void {
    this.#progress.epochs = this.#barrier.epochs;
    this.#o.onProgress?.(this.#progress);
  }

  // ---- multifd channels -------------------------------------------------

  async #channelLoop(ctx: ChannelCtx): Promise<void> {
    const label = ctx.input.label;
    const framer = new ChannelFramer({
      payloadLength: (h) => this.#payloadLength(h),
      stream: label,
      ...(this.#o.allocatePayload ? { allocatePayload: this.#o.allocatePayload } : {}),
    });
    try {
      for await (const chunk of abortable(ctx.input.source, this.#abort.signal)) {
        ctx.report.bytes += chunk.length;
        this.#progress.bytes += chunk.length;
        const frames = framer.push(chunk);
        for (let i = 0; i < frames.length; i++) {
          const frame = frames[i]!;
          try {
            if (frame.kind === 'init') this.#onInit(ctx, frame.packet);
            else await this.#onPacket(ctx, frame);
          } catch (e) {
            releaseFrames(frames, i + 1);
            throw e;
          }
        }
      }
      framer.finish();
      await this.#settle(ctx, 0);
    } finally {
      this.#barrier.channelEnded(ctx.slot);
    }
  }

  #onInit(ctx: ChannelCtx, packet: InitialPacket): void {
    this.#uuid ??= packet.uuid;
    checkInitialPacket(packet, {
      channels: this.#o.channelCount ?? 256,
      uuid: this.#uuid,
      seen: this.#ids,
    });
    this.#ids.add(packet.id);
    ctx.report.id = packet.id;
    this.#o.onInitialPacket?.(packet);
  }

  /** Handle one packet; the frame's lease is released here, or by the apply it is handed to once that settles. */
  async #onPacket(ctx: ChannelCtx, frame: Extract<ChannelFrame, { kind: 'packet' }>): Promise<void> {
    const h = frame.header;
    ctx.report.packets++;
    this.#progress.packets++;
    const where = { stream: ctx.input.label, channel: ctx.report.id, packet: frame.index, byteOffset: frame.at };
    let lease: Lease | undefined = frame.lease;
    const takeLease = (): Lease => {
      const taken = lease!;
      lease = undefined;
      return taken;
    };
    try {
      if (h.normalPages + h.zeroPages > 0) await this.#applyPages(ctx, h, frame, where, takeLease);
    } catch (e) {
      throw MultifdError.wrap(e, 'ERR_MULTIFD_CORRUPT_PAYLOAD', where);
    } finally {
      lease?.release();
    }
    this.#tick();
    if (isSync(h.flags)) {
      // Every page before the SYNC must be in place before the epoch can end.
      await this.#settle(ctx, 0);
      ctx.report.syncs++;
      await this.#barrier.channelSync(ctx.slot);
    }
  }

  /** Called by the framer for packets with normal pages: decides how many payload bytes to read. */
  #payloadLength(h: PacketHeader): number {
    return payloadLength(this.#methodOf(h), h.normalPages, h.nextPacketSize);
  }

  /**
   * The migration's codec, which the packet's method bits must name: set by
   * the first packet that lists pages (or --method), checked on every other
   * one, zero-only packets (QEMU 10) included.
   */
  #methodOf(h: PacketHeader): AnyMultiFDMethods {
    const value = methodOfFlags(h.flags);
    this.#method ??= this.#o.registry.get(value);
    const codec = this.#method;
    if (value !== codec.value) {
      throw new MultifdError('ERR_MULTIFD_METHOD_MISMATCH', `packet flags 0x${h.flags.toString(16)} say method ${value}; the migration uses ${codec.name} (${codec.value})`);
    }
    return codec;
  }

  /**
   * Apply a packet's pages. The payload goes to the channel's applier, which
   * may still read it after this returns (up to `window` packets in
   * flight): that apply takes the frame's lease (`takeLease`) and releases
   * it when it settles, so the reader cannot reuse the payload's memory
   * before then.
   */
  async #applyPages(
    ctx: ChannelCtx,
    h: PacketHeader,
    frame: Extract<ChannelFrame, { kind: 'packet' }>,
    where: object,
    takeLease: () => Lease,
  ): Promise<void> {
    if (h.normalPages === 0) this.#methodOf(h); // a zero-only packet (the framer checked the others)
    await this.#blocksReady;
    const block = this.#block(h.ramblock);
    for (const off of h.offsets) this.#checkOffset(block, off);
    if (h.normalPages > 0) {
      if (!ctx.applier) {
        const made = this.#newApplier(ctx);
        ctx.applier = made instanceof Promise ? await made : made;
      }
      const offsets = h.offsets.slice(0, h.normalPages);
      const lease = takeLease();
      let applying: Promise<void>;
      try {
        applying = Promise.resolve(ctx.applier.apply({ channel: ctx.report.id, packet: frame.index, codec: this.#method!, block, header: h, offsets, payload: frame.payload }));
      } catch (e) {
        applying = Promise.reject(e);
      }
      const applied = applying.finally(() => lease.release()).then(
        () => {
          this.#mark(block, offsets, true);
          ctx.report.pages += h.normalPages;
        },
        (e: unknown) => {
          throw MultifdError.wrap(e, 'ERR_MULTIFD_CORRUPT_PAYLOAD', where);
        },
      );
      applied.catch(() => undefined); // surfaced by #settle
      ctx.inflight.push(applied);
      await this.#settle(ctx, Math.max(1, this.#o.window ?? 1) - 1);
    }
    if (h.zeroPages > 0) {
      const zeros = h.offsets.slice(h.normalPages);
      if (!ctx.applier) {
        const made = this.#newApplier(ctx);
        ctx.applier = made instanceof Promise ? await made : made;
      }
      if (ctx.applier.applyZero) {
        await this.#settle(ctx, 0); // keep the applier's packets in order
        await ctx.applier.applyZero({ channel: ctx.report.id, packet: frame.index, block, offsets: zeros });
        this.#mark(block, zeros, false);
      } else {
        await this.#fillZero(block, zeros);
      }
      ctx.report.zeroPages += h.zeroPages;
    }
  }

  /** The channel's applier, opened on the RAMBlocks (known by now: packets wait for them). */
  #newApplier(ctx: ChannelCtx): PacketApplier | Promise<PacketApplier> {
    const applier = (this.#o.applier ?? ((slot) => inlineApplier(this.#o.sink, slot)))({ slot: ctx.slot, id: ctx.report.id, key: ctx.key });
    // No await for an applier without open(): a channel's first packet costs no extra turn then.
    if (!applier.open) return applier;
    return Promise.resolve(applier.open(this.#blocks())).then(() => applier);
  }


  /** Zero pages: write zeros only over pages that hold older data (the rest are zero already). */
  async #fillZero(block: RAMBlockInfo, offsets: readonly number[], fill = 0): Promise<void> {
    if (fill === 0) await this.#o.sink.zeroPages?.(block, offsets);
    const stale = fill !== 0 ? offsets : this.#ledger.staleZeroPages(block.name, offsets);
    if (stale.length > 0) await this.#o.sink.fillPages(block, stale, fill);
    this.#mark(block, offsets, fill !== 0);
  }

  #block(name: string): RAMBlockInfo {
    if (this.#table) return this.#table.get(name);
    let block = this.#discovered.get(name);
    if (!block) this.#discovered.set(name, (block = { name, usedLength: Number.POSITIVE_INFINITY }));
    return block;
  }

  #checkOffset(block: RAMBlockInfo, offset: number): void {
    if (Number.isFinite(block.usedLength)) return checkPageOffset(block, offset);
    const max = this.#o.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES;
    checkPageOffset({ name: block.name, usedLength: max }, offset);
  }

  #mark(block: RAMBlockInfo, offsets: readonly number[], nonZero: boolean): void {
    this.#ledger.mark(block.name, offsets, nonZero);
    this.#progress.pages = this.#ledger.applied;
  }
}
