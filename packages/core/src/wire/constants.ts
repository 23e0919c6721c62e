/**
 * Fixed sizes of the QEMU 7.2 multifd wire format (x86, 4 KiB target pages).
 * See docs: "The multifd wire format", sections 2 and 3.
 */

/** Size of one guest page in bytes. */
export const PAGE_SIZE = 4096;

/** QEMU's `page_count`: pages one packet can carry (512 KiB / 4 KiB). */
export const PAGES_PER_PACKET = 128;

/** Magic of the initial packet and of every packet header. */
export const MULTIFD_MAGIC = 0x11223344;

/** The only multifd protocol version QEMU 7.2 and 10.0 speak. */
export const MULTIFD_VERSION = 1;

/** The initial packet is 64 bytes. */
export const INITIAL_PACKET_SIZE = 64;

/** Bytes before the offset table of a packet header. */
export const PACKET_FIXED_SIZE = 320;

/**
 * The header a receiver reads is always `320 + 8 * page_count` bytes, whatever
 * `pages_alloc` says (QEMU sizes its read by its own page_count).
 */
export const PACKET_HEADER_SIZE = PACKET_FIXED_SIZE + 8 * PAGES_PER_PACKET;

/** Room for the RAMBlock name (NUL-terminated) in a packet header. */
export const RAMBLOCK_NAME_SIZE = 256;

/** Largest number of payload bytes 128 raw pages take. */
export const MAX_RAW_PAYLOAD = PAGES_PER_PACKET * PAGE_SIZE;

/**
 * Upper bound for a compressed payload of `normalPages` pages. zlib's
 * deflateBound and ZSTD_compressBound both stay below raw + raw/256 + a few
 * hundred bytes; the slack here is generous but bounded, so a hostile
 * `next_packet_size` can never make a receiver allocate more than ~520 KiB.
 */
export function maxCompressedPayload(normalPages: number): number {
  const raw = normalPages * PAGE_SIZE;
  return raw + (raw >>> 7) + PAGE_SIZE;
}
