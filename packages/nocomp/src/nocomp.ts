/**
 * Method 0, "nocomp" (QEMU's `multifd-compression=none`): the payload is the
 * packet's pages, raw, in offset-table order. Sending hands the page views
 * themselves to the socket (zero copy); `next_packet_size` is
 * `normal_pages * 4096`, and a receiver reads that many bytes whatever the
 * header says, as QEMU does.
 */
import { MultifdError, PAGE_SIZE, defineCodec, type ChannelContext } from '@multifd/core';

export const NOCOMP_NAME = 'nocomp';
export const NOCOMP_VALUE = 0;

interface NocompState {
  channel: number;
  closed: boolean;
}

function open(channel: ChannelContext): NocompState {
  if (channel.level !== undefined) {
    throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `nocomp has no compression levels (got ${channel.level})`);
  }
  return { channel: channel.id, closed: false };
}

function live(state: NocompState, hook: string): void {
  if (state.closed) throw new MultifdError('ERR_MULTIFD_STATE', `nocomp: ${hook} on channel ${state.channel} after cleanup`);
}

/** `b` is the page right after `a` in the same memory. */
function follows(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === PAGE_SIZE && b.length === PAGE_SIZE && b.buffer === a.buffer && b.byteOffset === a.byteOffset + PAGE_SIZE;
}

export const nocomp = defineCodec<NocompState, NocompState>({
  name: NOCOMP_NAME,
  value: NOCOMP_VALUE,
  payloadLength: (normalPages) => normalPages * PAGE_SIZE,
  maxPayloadSize: (normalPages) => normalPages * PAGE_SIZE,

  sendSetup: open,
  sendPrepare(state, { pages }) {
    live(state, 'sendPrepare');
    for (const page of pages) {
      if (page.length !== PAGE_SIZE) throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `nocomp: a page of ${page.length} bytes`);
    }
    return { payload: pages, size: pages.length * PAGE_SIZE };
  },
  sendCleanup(state) {
    state.closed = true;
  },

  recvSetup: open,
  recvPages(state, { payload, pages }) {
    live(state, 'recvPages');
    if (payload.length !== pages.length * PAGE_SIZE) {
      throw new MultifdError('ERR_MULTIFD_PAYLOAD_SIZE', `nocomp: payload of ${payload.length} bytes for ${pages.length} pages`);
    }
    // Views that follow each other in one buffer (consecutive pages of a
    // RAMBlock, a sink's scratch space) take one copy per run.
    for (let i = 0; i < pages.length; ) {
      const first = pages[i]!;
      let end = i + 1;
      while (end < pages.length && follows(pages[end - 1]!, pages[end]!)) end++;
      const run = end - i === 1 ? first : new Uint8Array(first.buffer, first.byteOffset, (end - i) * PAGE_SIZE);
      run.set(payload.subarray(i * PAGE_SIZE, end * PAGE_SIZE));
      i = end;
    }
  },
  recvCleanup(state) {
    state.closed = true;
  },
});
