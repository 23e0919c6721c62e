/**
 * Method 0, "nocomp" (QEMU's `multifd-compression=none`): the payload is the
 * packet's pages, raw, in offset-table order. Sending hands the page views
 * themselves to the socket (zero copy); `next_packet_size` is
 * `normal_pages * 4096`, and a receiver reads that many bytes whatever the
 * header says, as QEMU does.
 */
import { MultifdError, PAGE_SIZE, defineCodec, pageRuns, type ChannelContext } from '@multifd/core';

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
    // One copy per run of adjacent views (consecutive pages of a RAMBlock, a sink's scratch space).
    for (const run of pageRuns(pages)) run.view.set(payload.subarray(run.first * PAGE_SIZE, (run.first + run.count) * PAGE_SIZE));
  },
  recvCleanup(state) {
    state.closed = true;
  },
});
