/**
 * Temporary folders of this process, removed on every way out: by the
 * command when it ends (removeTempDir), by a synchronous 'exit' hook, and
 * by the bin right before a second signal or the shutdown deadline ends the
 * process without unwinding (bin.ts).
 */
import { readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let hooked = false;

/**
 * A new folder under the system's temp folder, `prefix` + our pid + random
 * letters. Folders of the same prefix left by processes that are gone (a
 * SIGKILL leaves no chance to clean up) are removed first.
 */
export async function makeTempDir(prefix: string): Promise<string> {
  removeStale(prefix);
  const dir = await mkdtemp(join(tmpdir(), `${prefix}${process.pid}-`));
  live.add(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', removeTempDirsNow);
  }
  return dir;
}

/** Remove `prefix<pid>-*` folders whose process no longer runs. */
function removeStale(prefix: string): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = name.startsWith(prefix) ? Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]) : NaN;
    if (Number.isInteger(pid) && pid !== process.pid && !running(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
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
