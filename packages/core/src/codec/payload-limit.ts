/**
 * How many payload bytes a receiver reads for a packet, and the most it
 * accepts: the one rule the assembler, the conformance suite and the
 * benchmarks share. The length comes from the codec (nocomp reads
 * normal_pages * 4096 whatever next_packet_size says), capped by the codec's
 * limit, never straight from the wire.
 */
import { maxCompressedPayload } from '../wire/constants.js';
import { MultifdError } from '../errors.js';
import type { AnyMultiFDMethods } from './methods.js';

/** The largest payload `codec` accepts for `normalPages` pages. */
export function payloadLimit(codec: Pick<AnyMultiFDMethods, 'maxPayloadSize'>, normalPages: number): number {
  return codec.maxPayloadSize ? codec.maxPayloadSize(normalPages) : maxCompressedPayload(normalPages);
}

/** The payload bytes to read for a packet of `normalPages` pages and `nextPacketSize`; over the codec's limit: ERR_MULTIFD_PAYLOAD_SIZE. */
export function payloadLength(codec: Pick<AnyMultiFDMethods, 'maxPayloadSize' | 'payloadLength'>, normalPages: number, nextPacketSize: number): number {
  const length = codec.payloadLength ? codec.payloadLength(normalPages, nextPacketSize) : nextPacketSize;
  const max = payloadLimit(codec, normalPages);
  if (!(length <= max)) {
    throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `payload of ${length} bytes for ${normalPages} pages exceeds the limit of ${max}`);
  }
  return length;
}
