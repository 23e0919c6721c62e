/** Shared by the real-QEMU tests. */
import { afterEach } from 'vitest';
import { killAllQemu, liveQemuCount, qemuVersion } from '../src/index.js';

/** The system QEMU, or undefined (the tests are then skipped, with a note). */
export const QEMU = await qemuVersion();
if (!QEMU) console.warn('[qemu-harness] qemu-system-x86_64 not found: skipping the real-QEMU tests');

/** Kill every QEMU a test started, even when it failed or timed out. */
export function killQemuAfterEach(): void {
  afterEach(async () => {
    await killAllQemu();
    if (liveQemuCount() !== 0) throw new Error(`${liveQemuCount()} QEMU still running after killAllQemu`);
  });
}

/** Where two buffers first differ (page-aligned, for a readable failure), or undefined if equal. */
export function firstDifference(a: Uint8Array, b: Uint8Array): string | undefined {
  if (Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)) return undefined;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `first difference at byte 0x${i.toString(16)} (page 0x${(i & ~4095).toString(16)}), lengths ${a.length} / ${b.length}`;
  return `lengths differ: ${a.length} / ${b.length}`;
}
