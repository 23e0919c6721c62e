/**
 * The codec plugin contract: QEMU's `MultiFDMethods`, six hooks over a
 * per-channel state object.
 *
 * | hook         | when                            | job                                                        |
 * |--------------|---------------------------------|------------------------------------------------------------|
 * | sendSetup    | once per channel, before sending| create the channel's compression stream; returns its state |
 * | sendPrepare  | per packet with normal pages    | turn the pages into the payload (iovecs) and its size      |
 * | sendCleanup  | once per channel, end or error  | free the stream; safe to call twice                        |
 * | recvSetup    | once per channel                | create the decompression stream; returns its state         |
 * | recvPages    | per packet with normal pages    | decode the payload into the packet's page views            |
 * | recvCleanup  | once per channel                | free the stream; safe to call twice                        |
 *
 * The framework (not the codec) writes the header, sets the method bits in
 * `flags` and `next_packet_size` from what sendPrepare returns, checks the
 * method bits of received packets and reads exactly the payload before
 * calling recvPages. Packets of one channel reach a codec in order; the state
 * of one channel is never shared with another, so a codec keeps one
 * compression stream per channel for the channel's life, as QEMU does.
 */

export type MaybePromise<T> = T | Promise<T>;

/** What a codec learns about the channel it is set up for. */
export interface ChannelContext {
  /** Channel id (0 .. channels-1). */
  readonly id: number;
  /** Compression level asked for; undefined means the codec's default. */
  readonly level?: number;
  /** Codec-specific options (e.g. `{ backend: 'node' }`), passed through untouched. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** The pages of one packet to send: each view exactly 4096 bytes. */
export interface SendPages {
  readonly pages: readonly Uint8Array[];
}

/**
 * A packet's payload as a list of byte ranges (an iovec), sent back to back.
 * nocomp returns the page views themselves (zero copy). The ranges must stay
 * valid until the next sendPrepare or sendCleanup call on the same state;
 * the framework (PacketEncoder) writes a packet before it asks for the next.
 */
export interface PreparedPayload {
  readonly payload: readonly Uint8Array[];
  /** Sum of the ranges' lengths: written as `next_packet_size`. */
  readonly size: number;
}

/** A received packet handed to recvPages. */
export interface ReceivedPacket {
  readonly flags: number;
  readonly normalPages: number;
  readonly nextPacketSize: number;
  /** Exactly the payload bytes the framework read for this packet. */
  readonly payload: Uint8Array;
  /** Where the pages go: `normalPages` views of 4096 bytes each, in offset-table order. */
  readonly pages: readonly Uint8Array[];
}

/** Compression levels a codec accepts. */
export interface LevelRange {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

export interface MultiFDMethods<SendState = unknown, RecvState = unknown> {
  /** Lower-case name used on command lines ("zlib"). */
  readonly name: string;
  /** The 3-bit method value carried in bits 1-3 of `flags` (0-7). */
  readonly value: number;
  /** Levels, when the codec has them. */
  readonly levels?: LevelRange;
  /**
   * Payload bytes to read for a packet with `normalPages` pages. Defaults to
   * `next_packet_size` (what QEMU's zlib/zstd read); nocomp reads
   * `normalPages * 4096` and ignores `next_packet_size`, as QEMU does.
   */
  payloadLength?(normalPages: number, nextPacketSize: number): number;
  /** Largest payload accepted for `normalPages` pages (default: core's maxCompressedPayload). */
  maxPayloadSize?(normalPages: number): number;

  sendSetup(channel: ChannelContext): MaybePromise<SendState>;
  sendPrepare(state: SendState, packet: SendPages): MaybePromise<PreparedPayload>;
  sendCleanup(state: SendState): MaybePromise<void>;
  recvSetup(channel: ChannelContext): MaybePromise<RecvState>;
  recvPages(state: RecvState, packet: ReceivedPacket): MaybePromise<void>;
  recvCleanup(state: RecvState): MaybePromise<void>;
}

/** Any codec, whatever its state types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMultiFDMethods = MultiFDMethods<any, any>;

/**
 * Identity helper for plugin authors: gives full type inference of the state
 * types without a base class.
 *
 * ```ts
 * export const lz4 = defineCodec({ name: 'lz4', value: 3, sendSetup: () => ({...}), ... });
 * ```
 */
export function defineCodec<S, R>(methods: MultiFDMethods<S, R>): MultiFDMethods<S, R> {
  return methods;
}
