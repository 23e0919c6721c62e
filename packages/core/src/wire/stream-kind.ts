/** Telling a main stream from a multifd channel by its first four bytes. */
import { MULTIFD_MAGIC } from './constants.js';
import { MultifdError } from '../errors.js';
import { QEVM_MAGIC } from '../main-stream/format.js';

export type StreamKind = 'main' | 'channel';

/** 'main' for `QEVM`, 'channel' for `11 22 33 44`; anything else is ERR_MULTIFD_STREAM_KIND. */
export function detectStreamKind(first: Uint8Array, label = 'stream'): StreamKind {
  if (first.length < 4) {
    throw new MultifdError('ERR_MULTIFD_TRUNCATED', `${first.length} bytes are too few to tell a main stream from a channel`, { stream: label, byteOffset: 0 });
  }
  const magic = ((first[0]! << 24) | (first[1]! << 16) | (first[2]! << 8) | first[3]!) >>> 0;
  if (magic === QEVM_MAGIC) return 'main';
  if (magic === MULTIFD_MAGIC) return 'channel';
  throw new MultifdError(
    'ERR_MULTIFD_STREAM_KIND',
    `starts with 0x${magic.toString(16).padStart(8, '0')}: neither a main stream (QEVM) nor a multifd channel (0x11223344)`,
    { stream: label, byteOffset: 0 },
  );
}
