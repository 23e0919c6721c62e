/**
 * Wire profiles: which variant of the multifd protocol a sender speaks. A
 * receiver needs no profile: it reads both (see assembler.ts).
 *
 * | | qemu-7.2 | qemu-10 (QEMU 10.0 defaults, pc-i440fx-10.0) |
 * |---|---|---|
 * | zero pages | main-stream ZERO records | listed in multifd packets (`zero_pages`, offsets after the normal ones), found by the channel workers |
 * | sync point | every end-of-section (EOS) | a MULTIFD_FLUSH (0x200) record before the EOS |
 * | before the last section | nothing | QEMU_VM_COMMAND 11 (SWITCHOVER_START) |
 * | SYNC packets | pages_alloc 128 | all zero but flags and packet_num (pages_alloc 0) |
 * | method bits | the 3-bit value << 1 | one-hot: nocomp 0, zlib 0x02, zstd 0x04 |
 *
 * Method values: the registry stays keyed by the 3-bit value. Under qemu-7.2
 * every value 0-7 maps to `value << 1`. QEMU 10.0 reads bits 1-4 as one-hot
 * flags with 0x08 = qpl and 0x10 = uadk, so under qemu-10 a value whose
 * `value << 1` has the 0x08 bit (4-7) is refused: a 10.0 peer would take it
 * for qpl. Values 0-2 mean what they mean to QEMU; 3 (0x06) is free for a
 * third-party method between our own peers.
 */
import { MultifdError } from '../errors.js';
import { assertMethodValue } from './flags.js';

export type WireProfileName = 'qemu-7.2' | 'qemu-10';

export interface WireProfile {
  readonly name: WireProfileName;
  /** Short label for tables and charts ("7.2", "10"). */
  readonly label: string;
  /** Other names the profile answers to on command lines. */
  readonly aliases: readonly string[];
  /** A suffix for file and directory names ("", "-qemu10"): the default profile has none. */
  readonly fileSuffix: string;
  /** One line for --help. */
  readonly help: string;
  /** Machine type written in the configuration section. */
  readonly machine: string;
  /** Where all-zero pages go. */
  readonly zeroPages: 'main' | 'packet';
  /** Sync points are MULTIFD_FLUSH records (else end-of-section records). */
  readonly flushRecords: boolean;
  /** A SWITCHOVER_START command precedes the last RAM section. */
  readonly switchoverCommand: boolean;
  /** pages_alloc written on SYNC packets. */
  readonly syncPagesAlloc: number;
  /** The flag bits for a method value (refused with ERR_MULTIFD_METHOD_RANGE when the profile cannot carry it). */
  methodFlags(value: number): number;
}

/** QEMU 10.0's qpl and uadk method bits. */
const QEMU10_RESERVED_BITS = 0x08 | 0x10;

export const QEMU_7_2: WireProfile = {
  name: 'qemu-7.2',
  label: '7.2',
  aliases: ['7.2', 'qemu-7.2.0'],
  fileSuffix: '',
  help: 'zero pages as main-stream records, syncs on end-of-section (QEMU 7.2)',
  machine: 'pc-i440fx-7.2',
  zeroPages: 'main',
  flushRecords: false,
  switchoverCommand: false,
  syncPagesAlloc: 128,
  methodFlags(value) {
    assertMethodValue(value);
    return value << 1;
  },
};

export const QEMU_10: WireProfile = {
  name: 'qemu-10',
  label: '10',
  aliases: ['10', '10.0', 'qemu-10.0'],
  fileSuffix: '-qemu10',
  help: 'zero pages listed in packets, MULTIFD_FLUSH records, one-hot method bits (QEMU 10.0)',
  machine: 'pc-i440fx-10.0',
  zeroPages: 'packet',
  flushRecords: true,
  switchoverCommand: true,
  syncPagesAlloc: 0,
  methodFlags(value) {
    assertMethodValue(value);
    const bits = value << 1;
    if (bits & QEMU10_RESERVED_BITS) {
      throw new MultifdError(
        'ERR_MULTIFD_METHOD_RANGE',
        `method value ${value} (flags 0x${bits.toString(16)}) collides with QEMU 10.0's qpl/uadk bits: use 0-3 under the qemu-10 profile`,
      );
    }
    return bits;
  },
};

export const WIRE_PROFILES: Readonly<Record<WireProfileName, WireProfile>> = { 'qemu-7.2': QEMU_7_2, 'qemu-10': QEMU_10 };

/** What a sender speaks unless told otherwise: QEMU 7.2's variant, which every peer we know reads. */
export const DEFAULT_PROFILE: WireProfile = QEMU_7_2;

/** The profile called `name`, or one of its aliases ('qemu-7.2', '7.2', 'qemu-10', '10', '10.0'...). */
export function wireProfile(name: string): WireProfile {
  const profile = Object.values(WIRE_PROFILES).find((p) => p.name === name || p.aliases.includes(name));
  if (!profile) throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `unknown wire profile ${JSON.stringify(name)} (${Object.keys(WIRE_PROFILES).join(' or ')})`);
  return profile;
}
