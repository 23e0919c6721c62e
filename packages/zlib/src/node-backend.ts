/**
 * The zlib stream on node:zlib (the zlib inside Node: about 3x pako's speed
 * here), making the same kind of stream as pako-backend.ts, call for call:
 * one deflate stream per channel, each page deflated with Z_NO_FLUSH and the
 * packet's last page with Z_SYNC_FLUSH; one inflate stream per channel,
 * inflating straight into the page views with a hard output bound.
 *
 * node:zlib only offers asynchronous streams and one-shot sync calls (which
 * close the stream). The streaming sync step used here is the one those
 * one-shot calls run on: the engine handle's `writeSync(flush, in, inOff,
 * inLen, out, outOff, outLen)`, whose results land in `_writeState`
 * ([availOut, availIn]) and whose errors arrive synchronously through
 * `onerror`. Both are internals of node:zlib (stable since Node 10); if they
 * ever change, setup fails with ERR_MULTIFD_UNSUPPORTED and the pako backend
 * still works.
 */
import * as zlib from 'node:zlib';
import { MultifdError, PAGE_SIZE, maxCompressedPayload, pageRuns } from '@multifd/core';
import type { DeflateStream, InflateStream } from './pako-backend.js';

const { Z_NO_FLUSH, Z_SYNC_FLUSH } = zlib.constants;
/** Every sync-flushed payload ends with an empty stored block. */
const SYNC_MARKER = [0x00, 0x00, 0xff, 0xff] as const;
/** A non-final stored block of no bytes: header bits (and padding), LEN 0, NLEN 0xffff. */
const EMPTY_STORED_BLOCK = Uint8Array.of(0x00, 0x00, 0x00, 0xff, 0xff);

interface EngineHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  onerror: (message: string, errno: number) => void;
}

/** One synchronous step: consume from `input`, produce into `out`; returns [availOut, availIn] after it. */
type Step = (flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number) => [number, number];

function engine(stream: zlib.Deflate | zlib.Inflate, what: string): { step: Step; close: () => void } {
  const internals = stream as unknown as { _handle?: EngineHandle; _writeState?: Uint32Array };
  const handle = internals._handle;
  const state = internals._writeState;
  if (typeof handle?.writeSync !== 'function' || !(state instanceof Uint32Array)) {
    throw new MultifdError('ERR_MULTIFD_UNSUPPORTED', 'zlib: this Node has no synchronous zlib engine; use the pako backend');
  }
  let error: string | undefined;
  handle.onerror = (message) => {
    error = message;
  };
  return {
    step(flush, input, inOff, inLen, out, outOff, outLen) {
      handle.writeSync(flush, input, inOff, inLen, out, outOff, outLen);
      if (error !== undefined) {
        const message = error;
        error = undefined;
        throw new MultifdError('ERR_MULTIFD_CORRUPT_PAYLOAD', `zlib: ${what} failed (${message})`);
      }
      return [state[0]!, state[1]!];
    },
    close: () => stream.close(),
  };
}

export function nodeDeflate(level: number): DeflateStream {
  const z = engine(zlib.createDeflate({ level, windowBits: 15, memLevel: 8 }), 'deflate');
  let out = new Uint8Array(0);
  return {
    deflate(pages) {
      const bound = maxCompressedPayload(pages.length);
      if (out.length < bound) out = new Uint8Array(bound);
      let pos = 0;
      for (let i = 0; i < pages.length; i++) {
        const flush = i === pages.length - 1 ? Z_SYNC_FLUSH : Z_NO_FLUSH;
        let inOff = 0;
        let availIn = PAGE_SIZE;
        for (;;) {
          const [availOut, left] = z.step(flush, pages[i]!, inOff, availIn, out, pos, out.length - pos);
          const produced = out.length - pos - availOut;
          pos += produced;
          inOff += availIn - left;
          availIn = left;
          // Done when the input is used and deflate did not fill the output (nothing pending).
          if (availOut > 0 && availIn === 0) break;
          if (pos === out.length) throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', 'zlib: deflate ran out of output space');
        }
      }
      return out.subarray(0, pos);
    },
    end() {
      z.close();
    },
  };
}

export function nodeInflate(): InflateStream {
  const z = engine(zlib.createInflate({ windowBits: 15 }), 'inflate');
  const probe = new Uint8Array(1);
  return {
    inflate(payload, pages) {
      const n = payload.length;
      if (n < 4 || SYNC_MARKER.some((b, i) => payload[n - 4 + i] !== b)) {
        throw new MultifdError('ERR_MULTIFD_CORRUPT_PAYLOAD', 'zlib: payload does not end with a sync flush (00 00 ff ff)');
      }
      let inOff = 0;
      let availIn = n;
      // One engine call per run of adjacent views, not per page: the call is the cost.
      let done = 0;
      for (const { view } of pageRuns(pages)) {
        let filled = 0;
        while (filled < view.length) {
          const [availOut, left] = z.step(Z_SYNC_FLUSH, payload, inOff, availIn, view, filled, view.length - filled);
          const produced = view.length - filled - availOut;
          const consumed = availIn - left;
          if (produced === 0 && consumed === 0) {
            throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `zlib: payload decodes to ${done + filled} bytes, expected ${pages.length * PAGE_SIZE}`);
          }
          filled += produced;
          inOff += consumed;
          availIn = left;
        }
        done += view.length;
      }
      // What is left (the flush marker), and any output inflate still holds, must decode to nothing.
      const [availOut, left] = z.step(Z_SYNC_FLUSH, payload, inOff, availIn, probe, 0, 1);
      if (availOut === 0) throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `zlib: payload decodes to more than ${pages.length * PAGE_SIZE} bytes`);
      if (left > 0) throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `zlib: ${left} payload bytes left after the packet's pages`);
      // The payload must leave inflate between two blocks, or the next packet
      // breaks (e.g. after a second 00 00 ff ff, inflate sits inside a stored
      // block's header). node:zlib does not report where inflate stopped (zlib's
      // data_type, which the pako backend checks), so feed it an empty stored
      // block: a no-op exactly between blocks, an error or output anywhere else.
      const [outAfter, inAfter] = z.step(Z_SYNC_FLUSH, EMPTY_STORED_BLOCK, 0, EMPTY_STORED_BLOCK.length, probe, 0, 1);
      if (outAfter === 0 || inAfter > 0) {
        throw new MultifdError('ERR_MULTIFD_CORRUPT_PAYLOAD', 'zlib: payload does not end at a sync-flush boundary (bytes missing or extra)');
      }
    },
    end() {
      z.close();
    },
  };
}
