import { PAGE_SIZE } from '../wire/constants.js';

/**
 * Write one byte of every 4 KiB page of `bytes` (fresh, zero-filled memory):
 * the first write to a page costs a page fault, microseconds on some VMs,
 * better paid before a transfer than in the middle of it.
 */
export function touchPages(bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; at += PAGE_SIZE) bytes[at] = 0;
}
