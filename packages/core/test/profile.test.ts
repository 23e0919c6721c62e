import { describe, expect, it } from 'vitest';
import { MultifdError, QEMU_10, QEMU_7_2, wireProfile } from '../src/index.js';

describe('wire profiles', () => {
  it('qemu-7.2 carries every method value 0-7 as value << 1', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((v) => QEMU_7_2.methodFlags(v))).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
  });

  it('qemu-10 maps nocomp, zlib and zstd to the one-hot bits and refuses values on the qpl/uadk bits', () => {
    expect([0, 1, 2, 3].map((v) => QEMU_10.methodFlags(v))).toEqual([0x00, 0x02, 0x04, 0x06]);
    for (const v of [4, 5, 6, 7]) {
      let error: unknown;
      try {
        QEMU_10.methodFlags(v);
      } catch (e) {
        error = e;
      }
      expect(MultifdError.is(error, 'ERR_MULTIFD_METHOD_RANGE')).toBe(true);
    }
  });

  it('names: qemu-7.2, qemu-10 and short forms; anything else is ERR_MULTIFD_BAD_OPTION', () => {
    expect(wireProfile('7.2')).toBe(QEMU_7_2);
    expect(wireProfile('qemu-10')).toBe(QEMU_10);
    expect(wireProfile('10.0')).toBe(QEMU_10);
    expect(() => wireProfile('qemu-9')).toThrow(expect.objectContaining({ code: 'ERR_MULTIFD_BAD_OPTION' }));
  });

  it('the profiles differ where QEMU 10.0 differs on the wire', () => {
    expect([QEMU_7_2.zeroPages, QEMU_10.zeroPages]).toEqual(['main', 'packet']);
    expect([QEMU_7_2.flushRecords, QEMU_10.flushRecords]).toEqual([false, true]);
    expect([QEMU_7_2.syncPagesAlloc, QEMU_10.syncPagesAlloc]).toEqual([128, 0]);
    expect([QEMU_7_2.machine, QEMU_10.machine]).toEqual(['pc-i440fx-7.2', 'pc-i440fx-10.0']);
  });
});
