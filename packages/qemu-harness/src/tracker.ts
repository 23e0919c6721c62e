/**
 * Every QEMU the harness starts is tracked here until it has exited, so that
 * none is ever left behind: `killAllQemu()` for test hooks, and process hooks
 * that SIGKILL the rest when this process exits or gets a fatal signal.
 */
import fs from 'node:fs';

/** What the tracker needs from a started QEMU. */
export interface Tracked {
  readonly pid: number;
  /** A directory to delete once QEMU is gone (QMP socket, dumps). */
  readonly dir: string;
  /** Ends QEMU (SIGTERM, then SIGKILL). */
  kill(): Promise<unknown>;
}

const live = new Set<Tracked>();
let hooked = false;

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export function track(qemu: Tracked): void {
  live.add(qemu);
  if (!hooked) installHooks();
}

export function untrack(qemu: Tracked): void {
  live.delete(qemu);
}

/** How many started QEMUs have not exited yet. */
export function liveQemuCount(): number {
  return live.size;
}

/** Kill every tracked QEMU (SIGTERM, then SIGKILL) and wait until all are gone. */
export async function killAllQemu(): Promise<void> {
  await Promise.allSettled([...live].map((qemu) => qemu.kill()));
}

/** Synchronous last resort: exit handlers cannot wait, so SIGKILL at once. */
function killAllNow(): void {
  for (const qemu of live) {
    try {
      process.kill(qemu.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    fs.rmSync(qemu.dir, { recursive: true, force: true });
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  // If nobody else handles the signal, restore the default action (exit) and re-raise it.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function installHooks(): void {
  hooked = true;
  process.on('exit', killAllNow);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}
