/** Shared by the real-QEMU tests. */
import { afterEach, beforeEach } from 'vitest';
import { killAllQemu, liveQemuCount, qemuVersion, requireQemuVersion } from '../src/index.js';

/** The system QEMU, or undefined. */
export const QEMU = await qemuVersion();

/**
 * Fail (never skip) every test of the file (each on its own, none skipped)
 * when qemu-system-x86_64 is missing: `npm run test:qemu` is the real-QEMU
 * suite, and CI installs QEMU first.
 */
export function requireQemu(): void {
  beforeEach(() => void requireQemuVersion(QEMU));
}

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
