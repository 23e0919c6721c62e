/**
 * Ending a child process for sure: SIGTERM, then SIGKILL if it is still there
 * after a grace period. A QEMU 7.2 destination hung on a bad multifd packet
 * ignores SIGTERM, and a SIGSTOPped one cannot act on it: only SIGKILL ends them.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { QemuHarnessError } from './errors.js';

/** How a process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Resolves when `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<ExitInfo> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
}

/** Resolves with the exit, or undefined if it did not come within `ms`. */
async function exitWithin(child: ChildProcess, ms: number): Promise<ExitInfo | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([exited(child), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * SIGTERM, wait `graceMs`, then SIGKILL and wait `killWaitMs` more. Resolves
 * with how the process ended; throws ERR_QEMU_KILL if even SIGKILL did not end it.
 */
export async function terminate(child: ChildProcess, graceMs = 2000, killWaitMs = 10_000): Promise<ExitInfo> {
  const done = await exitWithin(child, 0);
  if (done) return done;
  child.kill('SIGTERM');
  const afterTerm = await exitWithin(child, graceMs);
  if (afterTerm) return afterTerm;
  child.kill('SIGKILL');
  const afterKill = await exitWithin(child, killWaitMs);
  if (afterKill) return afterKill;
  throw new QemuHarnessError('ERR_QEMU_KILL', `pid ${child.pid} still running ${killWaitMs} ms after SIGKILL`);
}
