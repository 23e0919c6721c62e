/** Progress of a transfer, as events carry it. */
export interface ChannelProgress {
  id: number;
  packets: number;
  pages: number;
  wireBytes: number;
}

export interface TransferProgress {
  /** Pages handled so far (zero and normal, re-sends counted). */
  pages: number;
  /** Of those, all-zero pages (a sender's count: main-stream records, or listed in packets under qemu-10). */
  zeroPages?: number;
  /** Bytes of guest RAM those pages stand for (pages * 4096). */
  ramBytes: number;
  /** Bytes on the wire: main stream plus every channel (headers, payloads, initial packets). */
  wireBytes: number;
  mainBytes: number;
  channels: ChannelProgress[];
  /** Sync points passed. */
  epochs: number;
  elapsedMs: number;
  /** Guest RAM MB/s (10^6 bytes) since the start. */
  mbps: number;
  /** Wire MB/s since the start. */
  wireMbps: number;
}

/** Fill in the derived rates. */
export function withRates(p: Omit<TransferProgress, 'mbps' | 'wireMbps' | 'ramBytes'>): TransferProgress {
  const seconds = Math.max(p.elapsedMs, 1) / 1000;
  const ramBytes = p.pages * 4096;
  return { ...p, ramBytes, mbps: ramBytes / 1e6 / seconds, wireMbps: p.wireBytes / 1e6 / seconds };
}

/** Calls `fn` at most every `ms` (and once more with `flush`). */
export function throttle(fn: () => void, ms: number): { tick: () => void; flush: () => void } {
  let last = 0;
  return {
    tick() {
      const now = Date.now();
      if (now - last >= ms) {
        last = now;
        fn();
      }
    },
    flush() {
      last = Date.now();
      fn();
    },
  };
}
