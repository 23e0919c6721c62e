import { MultifdError } from '@multifd/core';
/** Defaults shared by senders and receivers. */
export const DEFAULTS = {
  /** How long connecting (and a TLS handshake) may take. */
  connectTimeoutMs: 10_000,
  /** How long a peer may take to send its first bytes (initial packet / QEVM header). */
  handshakeTimeoutMs: 10_000,
  /** How long a channel may stay silent while the transfer is not done. */
  idleTimeoutMs: 30_000,
  /** Packets in flight per channel (bounds memory: about window x 512 KiB per channel). */
  window: 4,
  /** How often progress events fire. */
  progressIntervalMs: 200,
  /** Main-stream bytes gathered before a write. */
  mainChunk: 64 * 1024,
} as const;

/** Channels a migration may have: QEMU's multifd-channels is a uint8 (1-255). */
export const MAX_CHANNELS = 255;

/** `n` as a channel count, or ERR_MULTIFD_BAD_OPTION. */
export function checkChannelCount(n: number, what = 'channels'): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_CHANNELS) throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `${what} must be 1-${MAX_CHANNELS}, got ${n}`);
}

/** `promise`, or `timeoutError()` when it has not settled after `ms` (the timer is cleared either way). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, timeoutError: () => MultifdError): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(timeoutError()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
