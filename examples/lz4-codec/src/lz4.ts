/**
 * Method 3, "lz4": one LZ4 stream per channel, as linked blocks.
 *
 * Each packet's pages are compressed as one LZ4 block whose matches may
 * reach back 64 KiB into the pages the channel sent before (LZ4's streaming
 * mode, as `LZ4_compress_fast_continue` does it). lz4-napi has no stream
 * object, so each side keeps that 64 KiB window itself (`History`) and hands
 * it to every call as the block's dictionary. Every block ends at its
 * packet's end, so each payload decodes on its own given the window: the
 * LZ4 counterpart of zstd's flush at every packet end.
 *
 * Payload: the uncompressed size as a u32 little-endian (lz4-napi's block
 * format; always `normal_pages * 4096`), then the block. A receiver checks
 * that size before decoding, so the decoder's output buffer is exactly the
 * packet's pages: it can never grow past them. LZ4 has no levels here.
 */
import { MultifdError, PAGE_SIZE, defineCodec, pageRuns, resolveLevel, type ChannelContext } from '@multifd/core';
import { compressSync, uncompressSync } from 'lz4-napi';

export const LZ4_NAME = 'lz4';
export const LZ4_VALUE = 3;

/** How far back an LZ4 match can reach: the window kept per channel. */
const WINDOW = 64 * 1024;
/** The uncompressed size in front of each block. */
const SIZE_BYTES = 4;

/** The largest payload for `normalPages` pages: the size, then LZ4_COMPRESSBOUND of the pages. */
export function lz4MaxPayload(normalPages: number): number {
  const raw = normalPages * PAGE_SIZE;
  return SIZE_BYTES + raw + Math.floor(raw / 255) + 16;
}

/** The last 64 KiB of a channel's stream (right-aligned in `bytes`): the dictionary of its next block. */
class History {
  readonly #bytes = Buffer.alloc(WINDOW);
  #length = 0;

  get dict(): Buffer | undefined {
    return this.#length === 0 ? undefined : this.#bytes.subarray(WINDOW - this.#length);
  }

  append(data: Uint8Array): void {
    if (data.length >= WINDOW) {
      this.#bytes.set(data.subarray(data.length - WINDOW));
      this.#length = WINDOW;
      return;
    }
    const keep = Math.min(this.#length, WINDOW - data.length);
    this.#bytes.copyWithin(WINDOW - data.length - keep, WINDOW - keep);
    this.#bytes.set(data, WINDOW - data.length);
    this.#length = keep + data.length;
  }
}

interface Lz4SendState {
  channel: number;
  /** The packet's pages, back to back: lz4-napi compresses one contiguous buffer. */
  input: Buffer | undefined;
  history: History;
}

interface Lz4RecvState {
  channel: number;
  history: History | undefined;
}

function afterCleanup(channel: number, hook: string): MultifdError {
  return new MultifdError('ERR_MULTIFD_STATE', `lz4: ${hook} on channel ${channel} after cleanup`);
}

export const lz4 = defineCodec<Lz4SendState, Lz4RecvState>({
  name: LZ4_NAME,
  value: LZ4_VALUE,
  maxPayloadSize: lz4MaxPayload,

  sendSetup(channel: ChannelContext) {
    resolveLevel({ name: LZ4_NAME }, channel.level); // no levels: any level is ERR_MULTIFD_BAD_OPTION
    return { channel: channel.id, input: Buffer.alloc(128 * PAGE_SIZE), history: new History() };
  },
  sendPrepare(state, { pages }) {
    if (!state.input) throw afterCleanup(state.channel, 'sendPrepare');
    const size = pages.length * PAGE_SIZE;
    if (state.input.length < size) state.input = Buffer.alloc(size);
    // Copy first, compress the copy: a running guest may write the pages meanwhile,
    // and the window must hold exactly the bytes that were compressed.
    for (const run of pageRuns(pages)) state.input.set(run.view, run.first * PAGE_SIZE);
    const input = state.input.subarray(0, size);
    const dict = state.history.dict;
    const payload = dict ? compressSync(input, dict) : compressSync(input);
    state.history.append(input);
    return { payload: [payload], size: payload.length };
  },
  sendCleanup(state) {
    state.input = undefined;
  },

  recvSetup(channel: ChannelContext) {
    return { channel: channel.id, history: new History() };
  },
  recvPages(state, { payload, pages }) {
    const history = state.history;
    if (!history) throw afterCleanup(state.channel, 'recvPages');
    const expected = pages.length * PAGE_SIZE;
    // The size comes from the wire: check it before the decoder allocates its output.
    const announced = payload.length >= SIZE_BYTES ? Buffer.from(payload.buffer, payload.byteOffset, SIZE_BYTES).readUInt32LE(0) : -1;
    if (announced !== expected) {
      throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `lz4: payload announces ${announced < 0 ? 'no size' : `${announced} bytes`}, the packet has ${pages.length} pages (${expected} bytes)`);
    }
    let out: Uint8Array;
    try {
      const dict = history.dict;
      out = dict ? uncompressSync(payload, dict) : uncompressSync(payload);
    } catch (e) {
      throw new MultifdError('ERR_MULTIFD_CORRUPT_PAYLOAD', `lz4: ${e instanceof Error ? e.message : String(e)}`, {}, { cause: e });
    }
    if (out.length !== expected) throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `lz4: payload decodes to ${out.length} bytes, expected ${expected}`);
    for (const run of pageRuns(pages)) run.view.set(out.subarray(run.first * PAGE_SIZE, (run.first + run.count) * PAGE_SIZE));
    history.append(out);
  },
  recvCleanup(state) {
    state.history = undefined;
  },
});
