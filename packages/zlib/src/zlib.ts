/**
 * Method 1, "zlib": one deflate stream per channel for the channel's life,
 * sync-flushed at the end of every packet (see pako-backend.ts for the exact
 * call sequence). Levels 0-9, default 1 as in QEMU.
 *
 * Two backends make the same kind of stream, chosen per channel with the
 * codec option `backend`: 'pako' (default: pure JavaScript, runs anywhere)
 * or 'node' (node:zlib, native, about 3x faster). Either side can talk to
 * the other, and to QEMU.
 */
import { MultifdError, defineCodec, resolveLevel, type ChannelContext } from '@multifd/core';
import { nodeDeflate, nodeInflate } from './node-backend.js';
import { pakoDeflate, pakoInflate, type DeflateStream, type InflateStream } from './pako-backend.js';

export type ZlibBackend = 'pako' | 'node';
export const ZLIB_BACKENDS: readonly ZlibBackend[] = ['pako', 'node'];

function backendOf(channel: ChannelContext): ZlibBackend {
  const b = channel.options?.['backend'] ?? 'pako';
  if (b !== 'pako' && b !== 'node') throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `zlib backend ${JSON.stringify(b)}: expected "pako" or "node"`);
  return b;
}

export const ZLIB_NAME = 'zlib';
export const ZLIB_VALUE = 1;
export const ZLIB_LEVELS = { min: 0, max: 9, default: 1 } as const;

interface ZlibSendState {
  channel: number;
  stream: DeflateStream | undefined;
}

interface ZlibRecvState {
  channel: number;
  stream: InflateStream | undefined;
}

function stateError(channel: number, hook: string): MultifdError {
  return new MultifdError('ERR_MULTIFD_STATE', `zlib: ${hook} on channel ${channel} after cleanup`);
}

export const zlib = defineCodec<ZlibSendState, ZlibRecvState>({
  name: ZLIB_NAME,
  value: ZLIB_VALUE,
  levels: ZLIB_LEVELS,

  sendSetup(channel: ChannelContext) {
    const level = resolveLevel({ name: ZLIB_NAME, levels: ZLIB_LEVELS }, channel.level)!;
    return { channel: channel.id, stream: backendOf(channel) === 'node' ? nodeDeflate(level) : pakoDeflate(level) };
  },
  sendPrepare(state, { pages }) {
    if (!state.stream) throw stateError(state.channel, 'sendPrepare');
    const payload = state.stream.deflate(pages);
    return { payload: [payload], size: payload.length };
  },
  sendCleanup(state) {
    state.stream?.end();
    state.stream = undefined;
  },

  recvSetup(channel: ChannelContext) {
    return { channel: channel.id, stream: backendOf(channel) === 'node' ? nodeInflate() : pakoInflate() };
  },
  recvPages(state, { payload, pages }) {
    if (!state.stream) throw stateError(state.channel, 'recvPages');
    state.stream.inflate(payload, pages);
  },
  recvCleanup(state) {
    state.stream?.end();
    state.stream = undefined;
  },
});
