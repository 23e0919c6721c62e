/**
 * Bounds-checked big-endian access to a byte range. Every read checks that the
 * bytes are there first and throws ERR_MULTIFD_TRUNCATED otherwise; nothing
 * reads or writes outside the view it was given.
 */
import { MultifdError } from '../errors.js';

/** A DataView over exactly `bytes`: Node Buffers are slices of a shared pool. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Largest u64 high word that keeps the value a safe JS integer (< 2^53). */
const MAX_SAFE_HIGH = 0x1fffff;

/** Read a u64 as a number; values of 2^53 and more come back as Infinity. */
export function readU64(view: DataView, at: number): number {
  const high = view.getUint32(at, false);
  const low = view.getUint32(at + 4, false);
  return high > MAX_SAFE_HIGH ? Number.POSITIVE_INFINITY : high * 0x1_0000_0000 + low;
}

/** Write a non-negative safe integer as a big-endian u64. */
export function writeU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, Math.floor(value / 0x1_0000_0000), false);
  view.setUint32(at + 4, value >>> 0, false);
}

/** Latin-1 decode: RAMBlock and section names are byte strings in QEMU. */
export function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

/** Latin-1 encode; refuses characters above U+00FF. */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw new MultifdError('ERR_MULTIFD_BAD_RAMBLOCK_NAME', `name ${JSON.stringify(text)} has a character outside Latin-1`);
    out[i] = c;
  }
  return out;
}

/**
 * A sequential reader over one byte range. `pos` is relative to the range;
 * `base` is added to offsets in error messages (the range's place in a stream).
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos = 0;

  constructor(bytes: Uint8Array, readonly base = 0) {
    this.bytes = bytes;
    this.view = viewOf(bytes);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throw ERR_MULTIFD_TRUNCATED unless `n` more bytes are there. */
  need(n: number, what: string): void {
    if (this.remaining < n) {
      throw new MultifdError('ERR_MULTIFD_TRUNCATED', `${what}: need ${n} bytes, ${this.remaining} left`, {
        byteOffset: this.base + this.pos,
      });
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, false);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, false);
    this.pos += 4;
    return v;
  }

  u64(what: string): number {
    this.need(8, what);
    const v = readU64(this.view, this.pos);
    this.pos += 8;
    return v;
  }

  /** A view (not a copy) of the next `n` bytes. */
  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
