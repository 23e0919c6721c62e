import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cpuShares, cpuSnapshot, processCpuSeconds, waitForQuietCpu } from '../src/index.js';

/** A script that spins until its process has used 300 ms of CPU. */
const BURN_300MS_CPU = 'const s = process.cpuUsage(); for (;;) { const u = process.cpuUsage(s); if (u.user + u.system >= 300000) break; }';

describe('cpu idle helpers', () => {
  it('splits CPU time into idle, watched and others', () => {
    const before = { total: 1000, idle: 500, watched: 100 };
    expect(cpuShares(before, { total: 2000, idle: 1100, watched: 300 })).toEqual({ idle: 0.6, watched: 0.2, others: 0.2 });
    expect(cpuShares(before, before)).toEqual({ idle: 1, watched: 0, others: 0 });
  });

  it('reads /proc and counts this process as watched', () => {
    const a = cpuSnapshot();
    const stop = Date.now() + 50;
    while (Date.now() < stop); // burn some CPU
    const b = cpuSnapshot([999_999_999]); // a pid that does not exist counts 0
    expect(b.total).toBeGreaterThan(a.total);
    expect(b.watched).toBeGreaterThanOrEqual(a.watched);
  });

  it("counts a child process this one ran to its end as watched, not as others' load", () => {
    const a = cpuSnapshot();
    // A child that burns 300 ms of its own CPU time (not of wall time: a loaded machine gives it less) and exits; execFileSync waits for it.
    execFileSync(process.execPath, ['-e', BURN_300MS_CPU]);
    const b = cpuSnapshot();
    const ticksPerSecond = 100; // USER_HZ
    expect((b.watched - a.watched) / ticksPerSecond).toBeGreaterThan(0.2);
  });

  it("reads a process's own CPU seconds, and 0 for one that is gone", () => {
    const before = processCpuSeconds(process.pid);
    const start = process.cpuUsage();
    // 300 ms of this process's CPU time, however long that takes on a loaded machine.
    for (;;) {
      const used = process.cpuUsage(start);
      if (used.user + used.system >= 300_000) break;
    }
    const used = processCpuSeconds(process.pid) - before;
    expect(used).toBeGreaterThan(0.2);
    expect(used).toBeLessThan(2);
    expect(processCpuSeconds(999_999_999)).toBe(0);
  });

  it('waitForQuietCpu gives up after its timeout', async () => {
    const result = await waitForQuietCpu({ minIdle: 1.01, sampleMs: 20, timeoutMs: 50 });
    expect(result.quiet).toBe(false);
    expect(result.idle).toBeGreaterThanOrEqual(0);
  });
});
