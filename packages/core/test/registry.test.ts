import { describe, expect, it } from 'vitest';
import { CodecRegistry, defaultRegistry, defineCodec, type AnyMultiFDMethods } from '../src/index.js';
import { codeOf, xorCodec } from './helpers.js';

/** A codec that only has a name and a value (its hooks are never called here). */
const codec = (name: string, value: number): AnyMultiFDMethods => defineCodec({ ...xorCodec, name, value });

describe('CodecRegistry', () => {
  it('registers one codec under each value 0-7 and finds them by value, name and text', () => {
    const registry = new CodecRegistry();
    expect(registry.list()).toEqual([]);
    const codecs = [7, 0, 3, 1, 6, 2, 5, 4].map((v) => codec(`m${v}`, v));
    for (const c of codecs) registry.register(c);
    expect(registry.list().map((c) => c.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const c of codecs) {
      expect(registry.get(c.value)).toBe(c);
      expect(registry.byName(c.name)).toBe(c);
      expect(registry.lookup(String(c.value))).toBe(c);
      expect(registry.lookup(c.value)).toBe(c);
      expect(registry.lookup(c.name)).toBe(c);
    }
  });

  it('keeps its container private: nothing but its methods reaches the codecs', () => {
    const registry = new CodecRegistry();
    registry.register(xorCodec);
    expect(Object.keys(registry)).toEqual([]);
    expect('container' in registry).toBe(false);
    expect(registry.get(6)).toBe(xorCodec);
  });

  it("knows QEMU's name 'none' for nocomp", () => {
    const registry = new CodecRegistry();
    const nocomp = codec('nocomp', 0);
    registry.register(nocomp);
    expect(registry.byName('none')).toBe(nocomp);
  });

  it('refuses values outside 0-7 with ERR_MULTIFD_METHOD_RANGE', () => {
    const registry = new CodecRegistry();
    expect([8, -1, 1.5, Number.NaN].map((v) => codeOf(() => registry.register(codec('bad', v))))).toEqual(Array(4).fill('ERR_MULTIFD_METHOD_RANGE'));
    expect([8, -1].map((v) => codeOf(() => registry.get(v)))).toEqual(['ERR_MULTIFD_METHOD_RANGE', 'ERR_MULTIFD_METHOD_RANGE']);
    expect(codeOf(() => registry.lookup('9'))).toBe('ERR_MULTIFD_METHOD_RANGE');
    expect([registry.has(8), registry.has(-1)]).toEqual([false, false]);
  });

  it('refuses a value or a name already taken with ERR_MULTIFD_METHOD_TAKEN', () => {
    const registry = new CodecRegistry();
    registry.register(codec('lz4', 3));
    expect(codeOf(() => registry.register(codec('lz4', 3)))).toBe('ERR_MULTIFD_METHOD_TAKEN');
    expect(codeOf(() => registry.register(codec('brotli', 3)))).toBe('ERR_MULTIFD_METHOD_TAKEN');
    expect(codeOf(() => registry.register(codec('lz4', 4)))).toBe('ERR_MULTIFD_METHOD_TAKEN');
    expect(registry.list()).toHaveLength(1);
  });

  it('answers unknown values and names with ERR_MULTIFD_UNKNOWN_METHOD', () => {
    const registry = new CodecRegistry();
    registry.register(codec('lz4', 3));
    expect([codeOf(() => registry.get(5)), codeOf(() => registry.byName('brotli')), codeOf(() => registry.lookup('5'))]).toEqual(
      Array(3).fill('ERR_MULTIFD_UNKNOWN_METHOD'),
    );
  });

  it('refuses a codec without its hooks or with a name that is not lower-case, with ERR_MULTIFD_BAD_OPTION', () => {
    const registry = new CodecRegistry();
    const { recvPages: _, ...noRecvPages } = xorCodec;
    expect(codeOf(() => registry.register(noRecvPages as AnyMultiFDMethods))).toBe('ERR_MULTIFD_BAD_OPTION');
    expect(codeOf(() => registry.register(codec('Zlib', 1)))).toBe('ERR_MULTIFD_BAD_OPTION');
    expect(codeOf(() => registry.register(null as unknown as AnyMultiFDMethods))).toBe('ERR_MULTIFD_BAD_OPTION');
  });

  it('ensure() registers once and is then a no-op for the same codec, not for another', () => {
    const registry = new CodecRegistry();
    registry.ensure(xorCodec);
    registry.ensure(xorCodec);
    expect(registry.list()).toEqual([xorCodec]);
    expect(codeOf(() => registry.ensure(codec('other', 6)))).toBe('ERR_MULTIFD_METHOD_TAKEN');
  });

  it('createChild(): the child sees the parent, the parent never sees the child, siblings are apart', () => {
    const parent = new CodecRegistry();
    parent.register(codec('lz4', 3));
    const child = parent.createChild();
    const sibling = parent.createChild();
    child.register(codec('brotli', 5));
    expect(child.get(3).name).toBe('lz4');
    expect(child.list().map((c) => c.name)).toEqual(['lz4', 'brotli']);
    expect([parent.has(5), sibling.has(5)]).toEqual([false, false]);
    expect(codeOf(() => child.register(codec('lz4b', 3)))).toBe('ERR_MULTIFD_METHOD_TAKEN');
    parent.register(codec('late', 1));
    expect(child.get(1).name).toBe('late');
  });

  it('keeps fresh registries apart from each other and from the default one', () => {
    const a = new CodecRegistry();
    const b = new CodecRegistry();
    a.register(xorCodec);
    expect([b.has(6), defaultRegistry.has(6)]).toEqual([false, false]);
  });

  it('shares defaultRegistry through globalThis, so every copy of core finds the same one', () => {
    expect((globalThis as Record<symbol, unknown>)[Symbol.for('@multifd/core:default-registry')]).toBe(defaultRegistry);
    expect(defaultRegistry).toBeInstanceOf(CodecRegistry);
  });
});
