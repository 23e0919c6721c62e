/**
 * Splits a multifd channel's bytes into frames: the 64-byte initial packet,
 * then packets (1344-byte header + payload). Push chunks as they arrive from a
 * socket or file; whole frames come back. Headers are decoded and checked
 * (see packet.ts) before any payload is buffered, and the payload length comes
 * from the codec (`payloadLength`), capped, never straight from the wire.
 */
import { INITIAL_PACKET_SIZE, PACKET_HEADER_SIZE } from '../wire/constants.js';
import { MultifdError } from '../errors.js';
import { decodeInitialPacket, type InitialPacket } from '../wire/initial-packet.js';
import { decodePacketHeader, type PacketHeader } from '../wire/packet.js';
import { holdAll, type Lease } from '../buffers/lease.js';
import { ChunkQueue } from './chunk-queue.js';

export type ChannelFrame =
  | { kind: 'init'; packet: InitialPacket; at: number }
  | {
      kind: 'packet';
      header: PacketHeader;
      /** The raw 1344 header bytes (for forwarding). */
      headerBytes: Uint8Array;
      payload: Uint8Array;
      /**
       * A hold on the buffers `headerBytes` and `payload` point into (NO_LEASE
       * when nobody recycles them): whoever handles the frame releases it once
       * it no longer reads them, and not before. Until then the reader cannot
       * reuse that memory.
       */
      lease: Lease;
      /** Packet index in this channel, from 0. */
      index: number;
      /** Stream offset of the header. */
      at: number;
    };

export interface ChannelFramerOptions {
  /**
   * Payload bytes that follow `header` (called only for packets with normal
   * pages). It may throw, e.g. for a method mismatch; it must return a length
   * it is prepared to receive.
   */
  payloadLength(header: PacketHeader): number;
  /** Label for errors: a file name or a peer address. */
  stream?: string;
  /**
   * Memory for payloads that span chunks (default: the framer's spill
   * buffer, reused once no frame holds it): a receiver that hands payloads
   * to worker threads passes a pool of buffers the workers give back.
   */
  allocatePayload?: (n: number) => Uint8Array;
}

export class ChannelFramer {
  readonly #queue: ChunkQueue;
  readonly #opts: ChannelFramerOptions;
  #offset = 0;
  #channel: number | undefined;
  #index = 0;
  #pending: { header: PacketHeader; headerBytes: Uint8Array; length: number; at: number } | undefined;
  #initDone = false;
  /** An error found after frames push() returned: thrown by the next call. */
  #failure: unknown;

  constructor(options: ChannelFramerOptions) {
    this.#opts = options;
    this.#queue = new ChunkQueue({ reuse: true });
  }

  /** Channel id, once the initial packet was read. */
  get channel(): number | undefined {
    return this.#channel;
  }

  /** Bytes consumed into whole frames. */
  get offset(): number {
    return this.#offset;
  }

  /** Packets framed so far. */
  get packets(): number {
    return this.#index;
  }

  /**
   * Add bytes; returns the frames they complete. A packet frame may be a view
   * of `chunk` (or of the framer's spill buffer) and holds what it views
   * through `frame.lease`; the framer itself keeps no reference to `chunk`
   * once push() returns (what it still needs is copied).
   *
   * Bad bytes after good frames: push() returns the good frames and the
   * error comes from the next push() or finish(), so a stream yields the
   * same frames and the same error however it was cut into chunks.
   */
  push(chunk: Uint8Array): ChannelFrame[] {
    if (this.#failure !== undefined) throw this.#failure;
    this.#queue.push(chunk);
    const frames: ChannelFrame[] = [];
    try {
      for (;;) {
        const frame = this.#next();
        if (!frame) break;
        frames.push(frame);
      }
    } catch (e) {
      if (frames.length === 0) throw e;
      this.#failure = e;
      return frames;
    }
    this.#queue.release();
    // A header waiting for its payload outlives this chunk: keep its own copy.
    // (new Uint8Array(), not slice(): slice() of a Node Buffer is a view.)
    if (this.#pending) this.#pending.headerBytes = new Uint8Array(this.#pending.headerBytes);
    return frames;
  }

  /** The stream ended: an error unless it ended between two frames. */
  finish(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (!this.#initDone) {
      throw new MultifdError('ERR_MULTIFD_TRUNCATED', `channel ends after ${this.#queue.length} bytes, inside its initial packet`, this.#where(this.#offset));
    }
    if (this.#pending) {
      throw new MultifdError(
        'ERR_MULTIFD_TRUNCATED',
        `channel ends inside a payload: ${this.#queue.length} of ${this.#pending.length} bytes`,
        this.#where(this.#pending.at, this.#index),
      );
    }
    if (this.#queue.length > 0) {
      throw new MultifdError(
        'ERR_MULTIFD_TRUNCATED',
        `channel ends inside a packet header: ${this.#queue.length} of ${PACKET_HEADER_SIZE} bytes`,
        this.#where(this.#offset, this.#index),
      );
    }
  }

  #where(byteOffset: number, packet?: number) {
    return {
      ...(this.#opts.stream !== undefined ? { stream: this.#opts.stream } : {}),
      ...(this.#channel !== undefined ? { channel: this.#channel } : {}),
      ...(packet !== undefined ? { packet } : {}),
      byteOffset,
    };
  }

  #next(): ChannelFrame | undefined {
    const q = this.#queue;
    if (!this.#initDone) {
      if (q.length < INITIAL_PACKET_SIZE) return undefined;
      const at = this.#offset;
      let packet: InitialPacket;
      try {
        packet = decodeInitialPacket(q.take(INITIAL_PACKET_SIZE), at);
      } catch (e) {
        throw MultifdError.wrap(e, 'ERR_MULTIFD_BAD_MAGIC', this.#where(at));
      }
      this.#initDone = true;
      this.#channel = packet.id;
      this.#offset += INITIAL_PACKET_SIZE;
      return { kind: 'init', packet, at };
    }
    if (!this.#pending) {
      if (q.length < PACKET_HEADER_SIZE) return undefined;
      const at = this.#offset;
      const headerBytes = q.take(PACKET_HEADER_SIZE);
      let header: PacketHeader;
      let length = 0;
      try {
        header = decodePacketHeader(headerBytes, at);
        if (header.normalPages > 0) length = this.#opts.payloadLength(header);
      } catch (e) {
        throw MultifdError.wrap(e, 'ERR_MULTIFD_MAIN_STREAM', this.#where(at, this.#index));
      }
      this.#offset += PACKET_HEADER_SIZE;
      this.#pending = { header, headerBytes, length, at };
    }
    const p = this.#pending;
    if (q.length < p.length) return undefined;
    const payload = q.take(p.length, this.#opts.allocatePayload);
    this.#offset += p.length;
    this.#pending = undefined;
    const lease = holdAll([p.headerBytes, payload]);
    return { kind: 'packet', header: p.header, headerBytes: p.headerBytes, payload, lease, index: this.#index++, at: p.at };
  }
}

/** Release the holds of `frames` (from index `from`): a consumer that stops early calls this on the frames it did not handle. */
export function releaseFrames(frames: readonly ChannelFrame[], from = 0): void {
  for (let i = from; i < frames.length; i++) {
    const f = frames[i]!;
    if (f.kind === 'packet') f.lease.release();
  }
}
