/**
 * How busy the machine is, from /proc (Linux). QEMU's migration speed on 2
 * shared cores depends on what else runs, so a benchmark waits for a quiet
 * machine before a run and reports how much CPU *other* processes took
 * during it (total busy time minus the watched QEMUs and this process).
 */
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Cumulative CPU clock ticks (all cores): total, idle, and used by the watched processes. */
export interface CpuSnapshot {
  total: number;
  idle: number;
  watched: number;
}

/** Fractions of all CPU time between two snapshots. */
export interface CpuShares {
  idle: number;
  /** The watched processes and this one. */
  watched: number;
  /** Everything else: other people's work disturbing a measurement. */
  others: number;
}

/** USER_HZ: the unit of /proc's times, 100 on every Linux architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * utime + stime of a process in clock ticks, 0 if it is gone; with
 * `children`, plus cutime + cstime: the CPU time of its children that have
 * exited and been waited for (a child process run to its end, like a CLI
 * the benchmark started, counts as the watched process's own work).
 */
function processTicks(pid: number, children = false): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    return children ? own + Number(fields[13]) + Number(fields[14]) : own;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds (user + system, all threads) a process has used so far; 0 once
 * it is gone. A paused QEMU uses next to none, so the difference across a
 * migration is the migration's cost.
 */
export function processCpuSeconds(pid: number): number {
  return processTicks(pid) / CLOCK_TICKS_PER_SECOND;
}

/** A snapshot of the machine, watching `pids` and this process (with its finished children). */
export function cpuSnapshot(pids: readonly number[] = []): CpuSnapshot {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const watched = pids.reduce((sum, pid) => sum + processTicks(pid), processTicks(process.pid, true));
  return { total: fields.reduce((sum, n) => sum + n, 0), idle: fields[3]! + fields[4]!, watched };
}

export function cpuShares(before: CpuSnapshot, after: CpuSnapshot): CpuShares {
  const total = after.total - before.total;
  if (total <= 0) return { idle: 1, watched: 0, others: 0 };
  const idle = (after.idle - before.idle) / total;
  const watched = Math.min(1 - idle, (after.watched - before.watched) / total);
  return { idle, watched, others: Math.max(0, 1 - idle - watched) };
}

/**
 * Wait until the machine was at least `minIdle` idle over one `sampleMs`
 * window (default 85% over 2 s); returns that idle fraction, or the last one
 * seen with `quiet: false` once `timeoutMs` has passed.
 */
export async function waitForQuietCpu(options: { minIdle?: number; sampleMs?: number; timeoutMs?: number } = {}): Promise<{ idle: number; quiet: boolean }> {
  const minIdle = options.minIdle ?? 0.85;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const before = cpuSnapshot();
    await sleep(options.sampleMs ?? 2000);
    const { idle } = cpuShares(before, cpuSnapshot());
    if (idle >= minIdle) return { idle, quiet: true };
    if (Date.now() >= deadline) return { idle, quiet: false };
  }
}
