/**
 * The assembler's public types: what it takes (AssembleOptions, its
 * StreamInputs) and what it reports (AssembleReport, progress).
 */
import type { InitialPacket } from '../wire/initial-packet.js';
import type { MaybePromise } from '../codec/methods.js';
import type { MainStreamParserOptions } from '../main-stream/parser.js';
import type { CodecRegistry } from '../codec/registry.js';
import type { ChannelSlot, PacketApplier } from './packet-applier.js';
import type { PageSink } from './page-sink.js';

export interface StreamInput {
  /** File name or peer address, for messages. */
  label: string;
  source: AsyncIterable<Uint8Array>;
}

export interface AssembleOptions {
  main?: StreamInput;
  channels: readonly StreamInput[];
  registry: CodecRegistry;
  /** Expect this method (name or value); default: detect from the first packet with pages. */
  method?: string | number;
  sink: PageSink;
  /** The receiver's uuid; default: whatever the first channel carries (all must agree). */
  uuid?: Uint8Array;
  /** Refuse channel ids >= this (default: no range check, only duplicates). */
  channelCount?: number;
  /** Largest offset accepted without a main stream to say block sizes (default 1 TiB). */
  maxBlockBytes?: number;
  /** Limits for the main stream parser. */
  mainStream?: MainStreamParserOptions;
  /**
   * Decodes packets for a channel (default: in this thread, into `sink`).
   * The transport passes one that runs each channel's codec in a worker.
   */
  applier?: (channel: ChannelSlot) => PacketApplier;
  /** Packets a channel may have in its applier at once (default 1; a worker applier wants a few). */
  window?: number;
  /**
   * Called at every sync point once every channel has reached it, before any
   * stream goes on to the next epoch (a proxy sends its own SYNCs here).
   */
  onSyncPoint?: (epoch: number) => MaybePromise<void>;
  /** Memory for payloads that span read chunks (see ChannelFramerOptions.allocatePayload). */
  allocatePayload?: (n: number) => Uint8Array;
  /** Called with each channel's initial packet once it passed the checks (a relay learns the VM uuid here). */
  onInitialPacket?: (packet: InitialPacket) => void;
  /** Called after every packet and main-stream item (a run of zero records counts as one), for progress displays. */
  onProgress?: (progress: Readonly<AssembleProgress>) => void;
  signal?: AbortSignal;
}

export interface AssembleProgress {
  /** Pages applied (normal + zero, all streams, re-sends counted). */
  pages: number;
  /** Bytes read from all streams. */
  bytes: number;
  packets: number;
  epochs: number;
}

export interface ChannelReport {
  id: number;
  label: string;
  packets: number;
  syncs: number;
  /** Normal pages received. */
  pages: number;
  /** Zero pages listed in packets (QEMU 10.0). */
  zeroPages: number;
  bytes: number;
}

export interface RamBlockReport {
  name: string;
  /** Used length from the main stream, or the end of the highest page without one. */
  usedLength: number;
  /** Distinct pages received. */
  pages: number;
  /** Pages of the block never received (0 without a main stream). */
  missing: number;
}

export interface AssembleReport {
  method: { name: string; value: number } | null;
  channels: ChannelReport[];
  /** Sync points completed. */
  epochs: number;
  /** What ended an epoch: EOS records (QEMU 7.2), MULTIFD_FLUSH records (QEMU 9+), or channel SYNCs alone. */
  syncMode: 'eos' | 'flush' | 'channels';
  main?: {
    label: string;
    bytes: number;
    machine: string | undefined;
    zeroRecords: number;
    pageRecords: number;
    ramComplete: boolean;
  };
  ramblocks: RamBlockReport[];
  warnings: string[];
}

