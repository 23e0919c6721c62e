/**
 * The parts of QEMU's main migration stream ("QEVM") that carry RAM.
 *
 * File header: magic `QEVM` (0x5145564d), version u32 = 3. Then sections,
 * each introduced by one type byte:
 *
 * | byte | section       | layout after the type byte                                           |
 * |-----:|---------------|----------------------------------------------------------------------|
 * | 0x00 | EOF           | nothing; the device state is over                                    |
 * | 0x01 | SECTION_START | u32 section_id, u8 len + idstr, u32 instance_id, u32 version_id, data |
 * | 0x02 | SECTION_PART  | u32 section_id, data                                                 |
 * | 0x03 | SECTION_END   | u32 section_id, data                                                 |
 * | 0x04 | SECTION_FULL  | like START: non-iterative device state (not parsed here)             |
 * | 0x05 | SUBSECTION    | u8 len + name, u32 version_id, fields                                |
 * | 0x07 | CONFIGURATION | u32 len + machine name, optional subsections                         |
 * | 0x08 | COMMAND       | u16 command, u16 length, length bytes                                |
 * | 0x7e | SECTION_FOOTER| u32 section_id; closes START/PART/END/FULL                           |
 *
 * The data of the "ram" section is a list of records, each starting with a
 * big-endian u64 whose low 12 bits are flags and whose other bits are the
 * page's byte offset in its RAMBlock:
 *
 * | flag  | record        | then                                                            |
 * |------:|---------------|-----------------------------------------------------------------|
 * | 0x002 | ZERO          | [block name] u8 fill byte: the page is all `fill`               |
 * | 0x004 | MEM_SIZE      | (START only) value = total bytes; then per block: u8 len + name, u64 used_length |
 * | 0x008 | PAGE          | [block name] 4096 bytes                                         |
 * | 0x010 | EOS           | nothing: end of this section's RAM data                         |
 * | 0x020 | CONTINUE      | modifier: same block as the previous record, no name follows   |
 * | 0x040 | XBZRLE        | not used with multifd                                           |
 * | 0x080 | HOOK          | RDMA, not used with multifd                                     |
 * | 0x100 | COMPRESS_PAGE | legacy compress threads, not used with multifd                  |
 * | 0x200 | MULTIFD_FLUSH | QEMU 9+: sync the multifd channels here (see wire-format-qemu-10) |
 *
 * "[block name]" is u8 len + name, present unless CONTINUE is set.
 */

export const QEVM_MAGIC = 0x5145564d;
export const QEVM_VERSION = 3;

export const SECTION = {
  EOF: 0x00,
  START: 0x01,
  PART: 0x02,
  END: 0x03,
  FULL: 0x04,
  SUBSECTION: 0x05,
  VMDESCRIPTION: 0x06,
  CONFIGURATION: 0x07,
  COMMAND: 0x08,
  FOOTER: 0x7e,
} as const;

export const RAM_FLAG = {
  FULL: 0x001,
  ZERO: 0x002,
  MEM_SIZE: 0x004,
  PAGE: 0x008,
  EOS: 0x010,
  CONTINUE: 0x020,
  XBZRLE: 0x040,
  HOOK: 0x080,
  COMPRESS_PAGE: 0x100,
  MULTIFD_FLUSH: 0x200,
} as const;

/** Low bits of a RAM record's u64 that hold flags (TARGET_PAGE_SIZE - 1). */
export const RAM_FLAGS_MASK = 0xfff;

/** QEMU's ram section version in 7.2 and 10.0. */
export const RAM_SECTION_VERSION = 4;

/** QEMU_VM_COMMAND 11: MIG_CMD_SWITCHOVER_START (QEMU 10), no payload. */
export const MIG_CMD_SWITCHOVER_START = 11;
