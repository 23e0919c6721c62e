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
