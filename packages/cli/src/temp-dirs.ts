/**
 * Temporary folders of this process, removed on every way out: by the
 * command when it ends (removeTempDir), by a synchronous 'exit' hook, and
 * by the bin right before a second signal or the shutdown deadline ends the
 * process without unwinding (bin.ts).
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let hooked = false;

/** A new folder under the system's temp folder, `prefix` + random letters. */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  live.add(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', removeTempDirsNow);
  }
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  live.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

/** Remove every folder still there, synchronously (the process is exiting). */
export function removeTempDirsNow(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}
