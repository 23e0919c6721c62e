/**
 * The zlib stream on pako's low-level API, mirroring QEMU 7.2's
 * multifd/zlib.c call for call: one deflate stream per channel
 * (deflateInit2, window 15, memLevel 8), each page deflated with Z_NO_FLUSH
 * and the packet's last page with Z_SYNC_FLUSH, so every payload ends with
 * `00 00 ff ff` and the receiver's single inflate stream can decode it.
 * Inflate writes straight into the page views, so output can never pass
 * `normal_pages * 4096` bytes.
 */
import {
  ZStream,
  Z_BUF_ERROR,
  Z_DEFAULT_STRATEGY,
  Z_NO_FLUSH,
  Z_OK,
  Z_STREAM_END,
  Z_SYNC_FLUSH,
  zlibDeflate,
  zlibDeflateEnd,
  zlibDeflateInit2,
  zlibInflate,
  zlibInflateEnd,
  zlibInflateInit2,
} from 'pako';
import { MultifdError, PAGE_SIZE, maxCompressedPayload, pageRuns } from '@multifd/core';

const Z_DEFLATED = 8;
const WINDOW_BITS = 15;
const MEM_LEVEL = 8;
/** zlib's data_type after inflate stopped right after an end-of-block code with no bits left over. */
const DATA_TYPE_AT_BLOCK_BOUNDARY = 128;

export interface DeflateStream {
  /** Deflate the pages into one sync-flushed payload (a view valid until the next call). */
  deflate(pages: readonly Uint8Array[]): Uint8Array;
  end(): void;
}

export interface InflateStream {
  /** Inflate `payload` into `pages`, exactly filling them. */
  inflate(payload: Uint8Array, pages: readonly Uint8Array[]): void;
  end(): void;
}

function corrupt(what: string, strm: ZStream, status: number): MultifdError {
  return new MultifdError('ERR_MULTIFD_CORRUPT_PAYLOAD', `zlib: ${what} failed (${strm.msg || `status ${status}`})`);
}

export function pakoDeflate(level: number): DeflateStream {
  const strm = new ZStream();
  const status = zlibDeflateInit2(strm, level, Z_DEFLATED, WINDOW_BITS, MEM_LEVEL, Z_DEFAULT_STRATEGY);
  if (status !== Z_OK) throw corrupt('deflateInit2', strm, status);
  let out = new Uint8Array(0);
  return {
    deflate(pages) {
      const bound = maxCompressedPayload(pages.length);
      if (out.length < bound) out = new Uint8Array(bound);
      strm.output = out;
      strm.next_out = 0;
      strm.avail_out = out.length;
      for (let i = 0; i < pages.length; i++) {
        strm.input = pages[i]! as Uint8Array<ArrayBuffer>;
        strm.next_in = 0;
        strm.avail_in = PAGE_SIZE;
        const flush = i === pages.length - 1 ? Z_SYNC_FLUSH : Z_NO_FLUSH;
        let ret: number;
        do ret = zlibDeflate(strm, flush);
        while (ret === Z_OK && strm.avail_in > 0 && strm.avail_out > 0);
        if (ret !== Z_OK && ret !== Z_BUF_ERROR) throw corrupt('deflate', strm, ret);
        if (strm.avail_in > 0) throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', 'zlib: deflate ran out of output space');
      }
      strm.input = null as unknown as Uint8Array; // do not keep the guest's page alive
      return out.subarray(0, strm.next_out);
    },
    end() {
      zlibDeflateEnd(strm);
    },
  };
}

export function pakoInflate(): InflateStream {
  const strm = new ZStream();
  const status = zlibInflateInit2(strm, WINDOW_BITS);
  if (status !== Z_OK) throw corrupt('inflateInit2', strm, status);
  const probe = new Uint8Array(1);
  const run = (): number => {
    const ret = zlibInflate(strm, Z_SYNC_FLUSH);
    if (ret === Z_STREAM_END) {
      throw new MultifdError('ERR_MULTIFD_CORRUPT_PAYLOAD', 'zlib: the stream ended; multifd keeps one stream per channel');
    }
    if (ret !== Z_OK && ret !== Z_BUF_ERROR) throw corrupt('inflate', strm, ret);
    return ret;
  };
  return {
    inflate(payload, pages) {
      strm.input = payload as Uint8Array<ArrayBuffer>;
      strm.next_in = 0;
      strm.avail_in = payload.length;
      let done = 0;
      for (const { view } of pageRuns(pages)) {
        strm.output = view as Uint8Array<ArrayBuffer>; // pako's types say ArrayBuffer; any byte view works
        strm.next_out = 0;
        strm.avail_out = view.length;
        while (strm.avail_out > 0) {
          const inBefore = strm.avail_in;
          const outBefore = strm.avail_out;
          run();
          if (strm.avail_out === outBefore && strm.avail_in === inBefore) {
            throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `zlib: payload decodes to ${done + strm.next_out} bytes, expected ${pages.length * PAGE_SIZE}`);
          }
        }
        done += view.length;
      }
      // The sync flush leaves inflate between two blocks with no bits held:
      // zlib's data_type is then 128 ("just after an end-of-block", 0 bits
      // left). Otherwise bytes are left, or inflate still holds output of a
      // match, or the payload stopped inside a block or the flush marker:
      // probe for more output, then refuse whatever is not at a boundary now,
      // rather than break the next packet. (The probe runs only when needed:
      // a call without input turns a clean "just after an end-of-block" into
      // "reading a block header" and data_type loses its 128.)
      if (strm.avail_in > 0 || strm.data_type !== DATA_TYPE_AT_BLOCK_BOUNDARY) {
        strm.output = probe;
        strm.next_out = 0;
        strm.avail_out = 1;
        run();
        if (strm.next_out > 0) {
          throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `zlib: payload decodes to more than ${pages.length * PAGE_SIZE} bytes`);
        }
        if (strm.avail_in > 0) {
          throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `zlib: ${strm.avail_in} payload bytes left after the packet's pages`);
        }
        if (strm.data_type !== DATA_TYPE_AT_BLOCK_BOUNDARY) {
          throw new MultifdError('ERR_MULTIFD_CORRUPT_PAYLOAD', 'zlib: payload does not end at a sync-flush boundary (bytes missing or extra)');
        }
      }
    },
    end() {
      zlibInflateEnd(strm);
    },
  };
}
