/**
 * The `flags` word of a packet header.
 *
 * bit 0 (0x01): SYNC. bits 1-3: the compression method as a 3-bit number
 * (QEMU 7.2: 0 nocomp, 1 zlib, 2 zstd; 3-7 free for third parties).
 * QEMU 10.0 reads bits 1-4 as one-hot (0x02 zlib, 0x04 zstd, 0x08 qpl,
 * 0x10 uadk) and uses 0x40 for device-state packets; zlib and zstd have the
 * same bits in both, so the 3-bit reading decodes both versions' RAM packets.
 */
import { MultifdError } from '../errors.js';

export const FLAG_SYNC = 0x01;
/** Bits 1-3: the method value. */
export const METHOD_MASK = 0x0e;
/** QEMU 10.0's uadk bit: outside the 3-bit method field. */
export const FLAG_UADK = 0x10;
/** QEMU 10.0's device-state packet kind (VFIO), not RAM. */
export const FLAG_DEVICE_STATE = 0x40;

/** Highest method value: the field has three bits. */
export const MAX_METHOD_VALUE = 7;

/** The method value carried in `flags`. */
export function methodOfFlags(flags: number): number {
  return (flags & METHOD_MASK) >>> 1;
}

/** The flag bits that say "method `value`". */
export function flagsOfMethod(value: number): number {
  assertMethodValue(value);
  return value << 1;
}

export function isSync(flags: number): boolean {
  return (flags & FLAG_SYNC) !== 0;
}

/** Refuse anything but an integer 0-7. */
export function assertMethodValue(value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_METHOD_VALUE) {
    throw new MultifdError('ERR_MULTIFD_METHOD_RANGE', `method value ${value} is outside 0-${MAX_METHOD_VALUE}`);
  }
}

/**
 * Refuse flag bits a RAM packet must not have. QEMU 7.2 ignores unknown bits;
 * we refuse them because in QEMU 10.0 they mean another method (uadk) or
 * another packet kind (device state), which would be misread as RAM.
 */
export function checkFlags(flags: number): void {
  if (flags & FLAG_DEVICE_STATE) {
    throw new MultifdError('ERR_MULTIFD_UNSUPPORTED', `device-state packet (flags 0x${flags.toString(16)}) is not RAM`);
  }
  if (flags & FLAG_UADK) {
    throw new MultifdError('ERR_MULTIFD_UNKNOWN_METHOD', `flags 0x${flags.toString(16)} name QEMU's uadk method, which has no codec here`);
  }
  if (flags & ~(FLAG_SYNC | METHOD_MASK)) {
    throw new MultifdError('ERR_MULTIFD_BAD_FLAGS', `unknown flag bits 0x${(flags & ~0x0f).toString(16)} in flags 0x${flags.toString(16)}`);
  }
}
