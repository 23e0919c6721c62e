/**
 * How a received packet's normal pages get decoded into place. The default
 * runs the codec's recvPages in this thread; the transport supplies one that
 * hands the payload to the channel's worker thread. Either way the applier
 * keeps the channel's codec state for the channel's life.
 */
import type { AnyMultiFDMethods, MaybePromise } from '../codec/methods.js';
import type { PacketHeader } from '../wire/packet.js';
import type { RAMBlockInfo } from '../ram/ramblock.js';
import type { PageSink } from './page-sink.js';

export interface ApplyJob {
  /** Channel id (from its initial packet). */
  channel: number;
  /** Packet index within the channel. */
  packet: number;
  codec: AnyMultiFDMethods;
  block: RAMBlockInfo;
  header: PacketHeader;
  /** Offsets of the normal pages (the first normal_pages of the table). */
  offsets: number[];
  payload: Uint8Array;
}

export interface PacketApplier {
  /**
   * The migration's RAMBlocks are known (the main stream listed them, and
   * the sink has them): called once, before the channel's first packet. An
   * applier in another thread opens the sink there now.
   */
  open?(blocks: readonly RAMBlockInfo[]): MaybePromise<void>;
  /** Decode the job's pages into place; resolves once they are written. */
  apply(job: ApplyJob): MaybePromise<void>;
  /**
   * All-zero pages a packet lists (QEMU 10.0). When present, the applier
   * takes them (a relay forwards them); otherwise the assembler writes zeros
   * into the sink where older data may be.
   */
  applyZero?(job: { channel: number; packet: number; block: RAMBlockInfo; offsets: number[] }): MaybePromise<void>;
  /** The channel is done (or failed): free its codec state. Safe to call twice. */
  close(): MaybePromise<void>;
}

/** Identifies a channel to an applier factory. */
export interface ChannelSlot {
  /** Position of the channel among the inputs. */
  slot: number;
  /** Channel id from its initial packet. */
  id: number;
  /** A key unique per channel, for sink scratch space. */
  key: string;
}

/**
 * The in-thread applier: recvPages straight into the sink's page views. With
 * several packets in flight (the assembler's `window`), they are decoded one
 * after another in arrival order: a codec's stream state spans packets, and
 * a sink's scratch views (FileSink) serve one packet at a time.
 */
export function inlineApplier(sink: PageSink, slot: ChannelSlot): PacketApplier {
  let codec: AnyMultiFDMethods | undefined;
  let state: unknown;
  /** The last packet queued; the next one starts when it settles. */
  let tail: Promise<void> = Promise.resolve();
  const decode = async (job: ApplyJob) => {
    if (codec === undefined) {
      codec = job.codec;
      state = await codec.recvSetup({ id: job.channel });
    }
    const h = job.header;
    const pages = sink.pageViews(slot.key, job.block, job.offsets);
    await codec.recvPages(state, { flags: h.flags, normalPages: h.normalPages, nextPacketSize: h.nextPacketSize, payload: job.payload, pages });
    await sink.commitPages(slot.key, job.block, job.offsets);
  };
  return {
    apply(job) {
      const done = tail.then(() => decode(job));
      tail = done.catch(() => undefined);
      return done;
    },
    async close() {
      await tail;
      if (codec === undefined || state === undefined) return;
      const s = state;
      state = undefined;
      await codec.recvCleanup(s);
    },
  };
}
