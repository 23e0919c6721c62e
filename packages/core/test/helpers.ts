/**
 * Shared pieces of core's tests. Core must not depend on any codec package,
 * not even in tests, so the tests bring their own codec: "xor".
 */
import { readFileSync } from 'node:fs';
import { MultifdError, PAGE_SIZE, defineCodec, type MainItem } from '../src/index.js';

/** The code of the MultifdError `fn` throws; 'no error', or a description of anything else thrown. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return MultifdError.is(e) ? e.code : `not a MultifdError: ${String(e)}`;
  }
}

/** codeOf for async work. */
export async function asyncCodeOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'no error';
  } catch (e) {
    return MultifdError.is(e) ? e.code : `not a MultifdError: ${String(e)}`;
  }
}

/** The MultifdError `fn` throws (fails the test when it throws none). */
export function errorOf(fn: () => unknown): MultifdError {
  try {
    fn();
  } catch (e) {
    if (MultifdError.is(e)) return e;
    throw new Error(`expected a MultifdError, got ${String(e)}`);
  }
  throw new Error('expected a MultifdError, got none');
}

/** Big-endian bytes: numbers below 2^32 as u32 unless sized with u8/u16/u64. */
export const u8 = (v: number) => Uint8Array.of(v);
export const u16 = (v: number) => Uint8Array.of(v >>> 8, v & 0xff);
export const u32 = (v: number) => Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
export const u64 = (v: number | bigint) => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(v));
  return out;
};
/** A u8-length-prefixed Latin-1 name. */
export const name = (text: string) => concat([u8(text.length), Uint8Array.from(text, (c) => c.charCodeAt(0))]);

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An async byte source over `parts`. */
export async function* source(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

/** `bytes` cut into chunks of 1..max bytes (deterministic for a seed). */
export function rechunk(bytes: Uint8Array, max: number, seed = 1): Uint8Array[] {
  const out: Uint8Array[] = [];
  let s = seed;
  for (let at = 0; at < bytes.length; ) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const n = 1 + (s % max);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

const FIXTURES = new URL('../../../fixtures/', import.meta.url);

/** A file of the captures in fixtures/ (path relative to fixtures/). */
export function fixture(path: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(path, FIXTURES)));
}

/** A capture's decode-report.json. */
export function decodeReport(capture: string): DecodeReport {
  return JSON.parse(Buffer.from(fixture(`${capture}/decode-report.json`)).toString('utf8')) as DecodeReport;
}

export interface DecodeReport {
  main: {
    sections: { type: string; machine?: string; ram_records?: Record<string, number> }[];
    eos_count: number;
    ramblocks_in_mem_size: Record<string, number>;
  };
}

interface XorState {
  key: number;
  closed: boolean;
}

/**
 * Method 6, "xor": the pages xored with a key byte that changes after every
 * packet, so a channel's state spans packets like a real compression stream.
 */
export const xorCodec = defineCodec<XorState, XorState>({
  name: 'xor',
  value: 6,
  sendSetup: () => ({ key: 0x5a, closed: false }),
  sendPrepare(state, { pages }) {
    const out = new Uint8Array(pages.length * PAGE_SIZE);
    pages.forEach((page, p) => {
      for (let i = 0; i < PAGE_SIZE; i++) out[p * PAGE_SIZE + i] = page[i]! ^ state.key;
    });
    state.key = (state.key * 5 + 3) & 0xff;
    return { payload: [out], size: out.length };
  },
  sendCleanup(state) {
    state.closed = true;
  },
  recvSetup: () => ({ key: 0x5a, closed: false }),
  recvPages(state, { payload, pages }) {
    if (state.closed) throw new MultifdError('ERR_MULTIFD_STATE', 'xor: recvPages after cleanup');
    if (payload.length !== pages.length * PAGE_SIZE) {
      throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `xor: ${payload.length} bytes for ${pages.length} pages`);
    }
    pages.forEach((page, p) => {
      for (let i = 0; i < PAGE_SIZE; i++) page[i] = payload[p * PAGE_SIZE + i]! ^ state.key;
    });
    state.key = (state.key * 5 + 3) & 0xff;
  },
  recvCleanup(state) {
    state.closed = true;
  },
});

/**
 * Parser items with every run of ZERO records ('zeros') spelled out as single
 * 'zero' items, without stream offsets on zero items: how runs are cut
 * depends on where chunks end, what they say does not.
 */
export function flatZeros(items: readonly MainItem[]): unknown[] {
  const out: unknown[] = [];
  for (const item of items) {
    if (item.kind === 'zeros') for (const offset of item.offsets) out.push({ kind: 'zero', block: item.block, offset, fill: item.fill });
    else if (item.kind === 'zero') out.push({ kind: 'zero', block: item.block, offset: item.offset, fill: item.fill });
    else out.push(item);
  }
  return out;
}
