import { describe, expect, it } from 'vitest';
import { ERROR_CODES, MultifdError, type MultifdErrorCode } from '../src/index.js';

describe('ERROR_CODES', () => {
  it('holds every code once, each ERR_MULTIFD_* with a description', () => {
    const codes = Object.keys(ERROR_CODES);
    expect(codes.filter((c) => !/^ERR_MULTIFD_[A-Z0-9_]+$/.test(c))).toEqual([]);
    expect(Object.values(ERROR_CODES).filter((d) => typeof d !== 'string' || d.length < 10)).toEqual([]);
    expect(new Set(Object.values(ERROR_CODES)).size).toBe(codes.length);
    // The codes the wire format's rejections need are all there.
    for (const code of ['ERR_MULTIFD_BAD_MAGIC', 'ERR_MULTIFD_PAYLOAD_SIZE', 'ERR_MULTIFD_CORRUPT_PAYLOAD', 'ERR_MULTIFD_SYNC_MISMATCH', 'ERR_MULTIFD_METHOD_TAKEN']) {
      expect(codes).toContain(code);
    }
  });
});

describe('MultifdError', () => {
  it('is an Error with a code, a detail and its location in the message', () => {
    const e = new MultifdError('ERR_MULTIFD_TRUNCATED', 'short header', { file: 'ch0.bin', channel: 1, packet: 2, byteOffset: 3 });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('MultifdError');
    expect(e.code).toBe('ERR_MULTIFD_TRUNCATED');
    expect(e.detail).toBe('short header');
    expect(e.message).toBe('short header (ch0.bin, channel 1, packet 2, byte 3)');
    expect(new MultifdError('ERR_MULTIFD_IO', 'x', { stream: 'main', byteOffset: 0 }).message).toBe('x (main, byte 0)');
    expect(new MultifdError('ERR_MULTIFD_IO', 'x').message).toBe('x');
    expect(e.toJSON()).toEqual({ code: 'ERR_MULTIFD_TRUNCATED', message: e.message, location: { file: 'ch0.bin', channel: 1, packet: 2, byteOffset: 3 } });
  });

  it('is() recognises any object carrying the Symbol.for brand, and checks the code', () => {
    const foreign = { [Symbol.for('@multifd/core:MultifdError')]: true, code: 'ERR_MULTIFD_IO', message: 'from another copy' };
    expect(MultifdError.is(foreign)).toBe(true);
    expect(MultifdError.is(foreign, 'ERR_MULTIFD_IO')).toBe(true);
    expect(MultifdError.is(foreign, 'ERR_MULTIFD_TIMEOUT')).toBe(false);
    expect(MultifdError.is(new MultifdError('ERR_MULTIFD_STATE', 'x'), 'ERR_MULTIFD_STATE')).toBe(true);
    const lookalikes: unknown[] = [
      new Error('plain'),
      { code: 'ERR_MULTIFD_IO' },
      { [Symbol('@multifd/core:MultifdError')]: true, code: 'ERR_MULTIFD_IO' },
      { [Symbol.for('@multifd/core:MultifdError')]: 'yes', code: 'ERR_MULTIFD_IO' },
      null,
      undefined,
      'ERR_MULTIFD_IO',
      42,
    ];
    expect(lookalikes.map((x) => MultifdError.is(x))).toEqual(lookalikes.map(() => false));
  });

  it('at() returns a copy with more location; the fields already set win', () => {
    const inner = new MultifdError('ERR_MULTIFD_CORRUPT_PAYLOAD', 'bad block', { channel: 1 }, { cause: 'zstd' });
    const outer = inner.at({ channel: 5, file: 'conn1.bin', packet: 7 });
    expect(outer).not.toBe(inner);
    expect(outer.code).toBe('ERR_MULTIFD_CORRUPT_PAYLOAD');
    expect(outer.location).toEqual({ channel: 1, file: 'conn1.bin', packet: 7 });
    expect(outer.message).toBe('bad block (conn1.bin, channel 1, packet 7)');
    expect(outer.cause).toBe('zstd');
    expect(outer.stack).toBe(inner.stack);
    expect(inner.message).toBe('bad block (channel 1)');
  });

  it('wrap() turns anything into a MultifdError of the code; MultifdErrors keep theirs', () => {
    const cause = new Error('first line\nsecond line');
    const wrapped = MultifdError.wrap(cause, 'ERR_MULTIFD_IO', { file: 'x.bin' });
    expect([wrapped.code, wrapped.detail, wrapped.message, wrapped.cause]).toEqual(['ERR_MULTIFD_IO', 'first line', 'first line (x.bin)', cause]);
    const kept = MultifdError.wrap(new MultifdError('ERR_MULTIFD_UUID_MISMATCH', 'uuid'), 'ERR_MULTIFD_IO', { channel: 2 });
    expect([kept.code, kept.location.channel]).toEqual(['ERR_MULTIFD_UUID_MISMATCH', 2]);
    const codes: MultifdErrorCode[] = [MultifdError.wrap('boom', 'ERR_MULTIFD_WORKER').code, MultifdError.wrap(7, 'ERR_MULTIFD_TIMEOUT').code];
    expect(codes).toEqual(['ERR_MULTIFD_WORKER', 'ERR_MULTIFD_TIMEOUT']);
    expect(MultifdError.wrap('boom', 'ERR_MULTIFD_WORKER').detail).toBe('boom');
  });
});
