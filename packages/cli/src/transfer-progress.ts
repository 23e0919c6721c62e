/**
 * The progress bar of network commands (send, receive, proxy, replay): pages,
 * guest-RAM MB/s and bytes per channel, on stderr, only when it is a terminal.
 */
import type { TransferProgress } from '@multifd/transport';
import type { OutputStream } from './io.js';

export interface TransferBar {
  update(p: TransferProgress): void;
  done(): void;
}

const NO_BAR: TransferBar = { update() {}, done() {} };

export function createTransferBar(stream: OutputStream, label: string): TransferBar {
  if (!stream.isTTY) return NO_BAR;
  let drawn = false;
  return {
    update(p) {
      drawn = true;
      const channels = p.channels.map((c) => `ch${c.id} ${(c.wireBytes / 1e6).toFixed(0)}MB`).join(' ');
      const line = `${label} ${p.pages} pages  ${p.mbps.toFixed(0)} MB/s RAM  ${(p.wireBytes / 1e6).toFixed(1)} MB wire  epoch ${p.epochs}  ${channels}`;
      stream.write(`\r${line.slice(0, Math.max(0, (stream.columns || 80) - 1))}\x1b[K`);
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
