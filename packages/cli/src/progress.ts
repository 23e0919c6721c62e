/**
 * A one-line progress bar on stderr: fraction of input read (when the total
 * is known), pages applied and MB/s. Drawn only when the stream is a
 * terminal, at most every 100 ms, and erased at the end, so redirected
 * output and stdout never see it.
 */
import type { OutputStream } from './io.js';

export interface ProgressCounts {
  pages: number;
  bytes: number;
}

export interface Progress {
  update(counts: Readonly<ProgressCounts>): void;
  /** Erase the bar (call on success and on failure). */
  done(): void;
}

const INTERVAL_MS = 100;
const NO_PROGRESS: Progress = { update() {}, done() {} };

export function createProgress(stream: OutputStream, label: string, totalBytes: number, now: () => number = () => performance.now()): Progress {
  if (!stream.isTTY) return NO_PROGRESS;
  const start = now();
  let last = -Infinity;
  let drawn = false;
  return {
    update(counts) {
      const t = now();
      if (t - last < INTERVAL_MS) return;
      last = t;
      drawn = true;
      stream.write(`\r${progressLine(label, counts, totalBytes, (t - start) / 1000, stream.columns || 80)}\x1b[K`);
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

/** The text of the bar, at most `columns - 1` characters. */
export function progressLine(label: string, counts: Readonly<ProgressCounts>, totalBytes: number, seconds: number, columns: number): string {
  const rate = seconds > 0 ? counts.bytes / 1e6 / seconds : 0;
  const stats = `${counts.pages} pages  ${rate.toFixed(1)} MB/s`;
  let bar = '';
  if (totalBytes > 0) {
    const fraction = Math.min(1, counts.bytes / totalBytes);
    const width = Math.max(0, Math.min(30, columns - label.length - stats.length - 12));
    const filled = Math.round(fraction * width);
    bar = `${width > 0 ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : ''}${String(Math.floor(fraction * 100)).padStart(3)}%  `;
  }
  return `${label} ${bar}${stats}`.slice(0, Math.max(0, columns - 1));
}
