/**
 * The sending side of one multifd channel, without the socket: turns pages
 * into packets with the channel's codec state (one compression stream for
 * the channel's life), numbers them, and makes SYNC packets. Transport
 * workers, offline writers and benchmarks all send through this, so every
 * packet we produce is built by one piece of code.
 */
import { PAGE_SIZE, PACKET_HEADER_SIZE } from '../wire/constants.js';
import { MultifdError } from '../errors.js';
import { FLAG_SYNC, flagsOfMethod } from '../wire/flags.js';
import { encodeInitialPacket } from '../wire/initial-packet.js';
import type { AnyMultiFDMethods } from '../codec/methods.js';
import { encodePacketHeader } from '../wire/packet.js';
import type { Lease } from '../buffers/lease.js';

/** One packet ready for writev: the header, then the payload ranges. */
export interface EncodedPacket {
  header: Uint8Array;
  payload: readonly Uint8Array[];
  /** Payload bytes (next_packet_size). */
  payloadSize: number;
  normalPages: number;
  zeroPages: number;
  /**
   * The packet's hold on the codec's output: the payload ranges may be
   * buffers the codec reuses for its next packet. Release it once the packet
   * is written (handed to the kernel or copied); the encoder refuses to make
   * the channel's next packet before.
   */
  lease: Lease;
}

export interface PacketEncoderOptions {
  codec: AnyMultiFDMethods;
  /** Channel id. */
  id: number;
  level?: number;
  codecOptions?: Readonly<Record<string, unknown>>;
  /**
   * packet_num source. QEMU uses one counter shared by all channels; the
   * default is a per-channel counter (QEMU ignores the value).
   */
  nextPacketNum?: () => bigint;
  /** How method values become flag bits (default: the 7.2 3-bit field). */
  methodFlags?: (value: number) => number;
  /** pages_alloc of SYNC packets without pages (QEMU 7.2: 128, QEMU 10.0: 0). */
  syncPagesAlloc?: number;
}

export class PacketEncoder {
  readonly id: number;
  readonly #codec: AnyMultiFDMethods;
  readonly #options: PacketEncoderOptions;
  readonly #nextNum: () => bigint;
  readonly #methodFlags: number;
  #state: unknown;
  #ready = false;
  #closed = false;
  #num = 0n;
  /** A packet's payload is still held (see EncodedPacket.lease). */
  #held = false;

  constructor(options: PacketEncoderOptions) {
    this.#options = options;
    this.#codec = options.codec;
    this.id = options.id;
    this.#nextNum = options.nextPacketNum ?? (() => this.#num++);
    this.#methodFlags = (options.methodFlags ?? flagsOfMethod)(options.codec.value);
  }

  /** Run the codec's sendSetup (levels are checked here). */
  async setup(): Promise<void> {
    if (this.#ready) return;
    this.#state = await this.#codec.sendSetup({
      id: this.id,
      ...(this.#options.level !== undefined ? { level: this.#options.level } : {}),
      ...(this.#options.codecOptions ? { options: this.#options.codecOptions } : {}),
    });
    this.#ready = true;
  }

  /** The channel's 64-byte initial packet. */
  initialPacket(uuid?: Uint8Array): Uint8Array {
    return encodeInitialPacket({ id: this.id, ...(uuid ? { uuid } : {}) });
  }

  /**
   * A packet of `pages` (normal pages, 4096 bytes each, at `offsets` of
   * `block`), optionally listing all-zero pages too (QEMU 10.0 style) and
   * carrying SYNC. The payload ranges stay valid until the packet's lease
   * is released, which must happen before the next call.
   */
  async packet(
    block: string,
    offsets: readonly number[],
    pages: readonly Uint8Array[],
    extra: { sync?: boolean; zeroOffsets?: readonly number[]; header?: Uint8Array; num?: bigint } = {},
  ): Promise<EncodedPacket> {
    if (!this.#ready || this.#closed) throw new MultifdError('ERR_MULTIFD_STATE', `channel ${this.id}: packet() ${this.#closed ? 'after close' : 'before setup'}`);
    if (offsets.length !== pages.length) throw new MultifdError('ERR_MULTIFD_NORMAL_PAGES', `${offsets.length} offsets for ${pages.length} pages`);
    if (this.#held) throw new MultifdError('ERR_MULTIFD_STATE', `channel ${this.id}: packet() while the last packet is still held (release its lease once it is written)`);
    const zeros = extra.zeroOffsets ?? [];
    let payload: readonly Uint8Array[] = [];
    let size = 0;
    if (pages.length > 0) {
      const prepared = await this.#codec.sendPrepare(this.#state, { pages });
      payload = prepared.payload;
      size = prepared.size;
    }
    const listed = pages.length + zeros.length > 0;
    const header = encodePacketHeader(
      {
        flags: (listed ? this.#methodFlags : 0) | (extra.sync ? FLAG_SYNC : 0),
        normalPages: pages.length,
        zeroPages: zeros.length,
        nextPacketSize: size,
        packetNum: extra.num ?? this.#nextNum(),
        ...(!listed && this.#options.syncPagesAlloc !== undefined ? { pagesAlloc: this.#options.syncPagesAlloc } : {}),
        ramblock: listed ? block : '',
        offsets: zeros.length > 0 ? [...offsets, ...zeros] : offsets,
      },
      extra.header,
    );
    this.#held = true;
    return { header, payload, payloadSize: size, normalPages: pages.length, zeroPages: zeros.length, lease: this.#packetLease() };
  }

  #packetLease(): Lease {
    let held = true;
    return {
      release: () => {
        if (!held) throw new MultifdError('ERR_MULTIFD_STATE', `channel ${this.id}: a packet's lease was released twice`);
        held = false;
        this.#held = false;
      },
    };
  }

  /** A SYNC packet with no pages. */
  async sync(extra: { header?: Uint8Array; num?: bigint } = {}): Promise<EncodedPacket> {
    return this.packet('', [], [], { ...extra, sync: true });
  }

  /** sendCleanup; safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ready) await this.#codec.sendCleanup(this.#state);
  }
}

/** Total bytes of an encoded packet on the wire. */
export function wireSize(packet: EncodedPacket): number {
  return PACKET_HEADER_SIZE + packet.payloadSize;
}

/** Pages of a packet as 4096-byte views of `memory` at `offsets`. */
export function pageViews(memory: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  return offsets.map((off) => memory.subarray(off, off + PAGE_SIZE));
}
