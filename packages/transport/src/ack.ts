/**
 * Completion acknowledgement, our one extension to QEMU's protocol: when a
 * migration is complete (every page and sync in place), our receiver writes
 * these 8 bytes back on the main connection before closing it. A QEMU 7.2
 * source without a return path never reads from that connection, so it is
 * unaffected; our sender waits for them, because a close alone cannot tell
 * "done" from "failed after the last byte was sent".
 */
export const COMPLETION_ACK = new Uint8Array([0x4d, 0x46, 0x44, 0x4f, 0x4b, 0x00, 0x00, 0x01]); // "MFDOK\0\0\1"

/** True when `received` (everything the peer sent on the main connection) starts with the acknowledgement. */
export function isCompletionAck(received: Uint8Array): boolean {
  if (received.length < COMPLETION_ACK.length) return false;
  for (let i = 0; i < COMPLETION_ACK.length; i++) if (received[i] !== COMPLETION_ACK[i]) return false;
  return true;
}
