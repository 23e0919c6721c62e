/**
 * Method 2, "zstd": one zstd stream per channel for the channel's life
 * (one frame that never ends), mirroring QEMU 7.2's multifd/zstd.c: each page
 * is compressed with ZSTD_e_continue and the packet's last page with
 * ZSTD_e_flush, so every payload is decodable on its own by the receiver's
 * single decompression stream. Decompression writes straight into the page
 * views, so output can never pass `normal_pages * 4096` bytes. Levels 1-19,
 * default 1 as in QEMU.
 */
import { createRequire } from 'node:module';
import { MultifdError, PAGE_SIZE, defineCodec, maxCompressedPayload, pageRuns, resolveLevel, type ChannelContext } from '@multifd/core';
import type * as Binding from 'zstd-napi/binding.js';

// zstd-napi's low-level binding is CommonJS; load it through require.
const zstd = createRequire(import.meta.url)('zstd-napi/binding.js') as typeof Binding;

export const ZSTD_NAME = 'zstd';
export const ZSTD_VALUE = 2;
export const ZSTD_LEVELS = { min: 1, max: 19, default: 1 } as const;

/**
 * Largest window a sender may ask for (32 MiB): enough for every level QEMU
 * allows (up to 20), small enough that a hostile frame header cannot make a
 * channel allocate more.
 */
const WINDOW_LOG_MAX = 25;

/** ZSTD_blockHeaderSize: what a decoder between two blocks asks for next. */
const BLOCK_HEADER_SIZE = 3;

interface ZstdSendState {
  channel: number;
  cctx: Binding.CCtx | undefined;
  out: Uint8Array;
}

interface ZstdRecvState {
  channel: number;
  dctx: Binding.DCtx | undefined;
}

const probe = new Uint8Array(1);

function stateError(channel: number, hook: string): MultifdError {
  return new MultifdError('ERR_MULTIFD_STATE', `zstd: ${hook} on channel ${channel} after cleanup`);
}

function corrupt(e: unknown): MultifdError {
  if (MultifdError.is(e)) return e;
  const text = e instanceof Error ? e.message : String(e);
  return new MultifdError('ERR_MULTIFD_CORRUPT_PAYLOAD', `zstd: ${text}`, {}, { cause: e });
}

export const zstdCodec = defineCodec<ZstdSendState, ZstdRecvState>({
  name: ZSTD_NAME,
  value: ZSTD_VALUE,
  levels: ZSTD_LEVELS,

  sendSetup(channel: ChannelContext) {
    const level = resolveLevel({ name: ZSTD_NAME, levels: ZSTD_LEVELS }, channel.level)!;
    const cctx = new zstd.CCtx();
    cctx.setParameter(zstd.CParameter.compressionLevel, level);
    return { channel: channel.id, cctx, out: new Uint8Array(0) };
  },
  sendPrepare(state, { pages }) {
    const cctx = state.cctx;
    if (!cctx) throw stateError(state.channel, 'sendPrepare');
    const bound = maxCompressedPayload(pages.length);
    if (state.out.length < bound) state.out = new Uint8Array(bound);
    const out = state.out;
    let pos = 0;
    // One call per run of adjacent pages, not per page: the call is a good
    // part of the cost. The bytes are the same as QEMU's page-by-page calls,
    // since ZSTD_e_continue only buffers input until a block is full; only
    // the flush at the packet's end is a boundary on the wire.
    const runs = pageRuns(pages);
    for (let i = 0; i < runs.length; i++) {
      const last = i === runs.length - 1;
      const directive = last ? zstd.EndDirective.flush : zstd.EndDirective.continue;
      let src = runs[i]!.view;
      for (;;) {
        const [remaining, produced, consumed] = cctx.compressStream2(out.subarray(pos), src, directive);
        pos += produced;
        src = src.subarray(consumed);
        if (src.length === 0 && (!last || remaining === 0)) break;
        if (pos === out.length) throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', 'zstd: compression ran out of output space');
      }
    }
    return { payload: [out.subarray(0, pos)], size: pos };
  },
  sendCleanup(state) {
    state.cctx = undefined; // freed by the binding's finalizer
  },

  recvSetup(channel: ChannelContext) {
    const dctx = new zstd.DCtx();
    dctx.setParameter(zstd.DParameter.windowLogMax, WINDOW_LOG_MAX);
    return { channel: channel.id, dctx };
  },
  recvPages(state, { payload, pages }) {
    const dctx = state.dctx;
    if (!dctx) throw stateError(state.channel, 'recvPages');
    let src = payload;
    try {
      // One decompressor call per run of adjacent views, not per page: the call is the cost.
      let done = 0;
      for (const run of pageRuns(pages)) {
        let dst = run.view;
        while (dst.length > 0) {
          const [, produced, consumed] = dctx.decompressStream(dst, src);
          if (produced === 0 && consumed === 0) {
            throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `zstd: payload decodes to ${done + run.view.length - dst.length} bytes, expected ${pages.length * PAGE_SIZE}`);
          }
          dst = dst.subarray(produced);
          src = src.subarray(consumed);
        }
        done += run.view.length;
      }
      // What is left (the flush's block end), and anything the decoder still
      // holds, must decode to nothing: probe at least once, even with no input.
      let hint: number;
      do {
        const [next, produced, consumed] = dctx.decompressStream(probe, src);
        if (produced > 0) throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `zstd: payload decodes to more than ${pages.length * PAGE_SIZE} bytes`);
        if (consumed === 0 && src.length > 0) throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `zstd: ${src.length} payload bytes left after the packet's pages`);
        src = src.subarray(consumed);
        hint = next;
      } while (src.length > 0);
      // After a flush the decoder waits for the next block header with nothing
      // buffered, so it asks for exactly a block header's bytes. Extra bytes
      // (a partly read header) or a block marked last (the frame ended: the
      // hint is 0) would only break the next packet: refuse them now.
      if (hint !== BLOCK_HEADER_SIZE) {
        throw new MultifdError('ERR_MULTIFD_CORRUPT_PAYLOAD', `zstd: payload does not end between two blocks of the channel's frame (${hint === 0 ? 'the frame ended' : 'bytes missing or extra'})`);
      }
    } catch (e) {
      throw corrupt(e);
    }
  },
  recvCleanup(state) {
    state.dctx = undefined;
  },
});
